//go:build linux || windows

package tray

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

func TestEveryIconStateHasAnImage(t *testing.T) {
	for _, s := range AllIconStates {
		img, err := png.Decode(bytes.NewReader(iconPNG(s)))
		if err != nil {
			t.Errorf("icon %q: %v", s, err)
			continue
		}
		if got := img.Bounds(); got != image.Rect(0, 0, 64, 64) {
			t.Errorf("icon %q bounds = %v; want 64×64", s, got)
		}
	}
}
