package platform

import (
	"runtime"
	"testing"
)

func TestDisplayMissing(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, runtime.GOOS == "linux"},
		{map[string]string{"DISPLAY": ":0"}, false},
		{map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, false},
	} {
		if got := DisplayMissing(env(tc.env)); got != tc.want {
			t.Errorf("DisplayMissing(%v): got %v; want %v", tc.env, got, tc.want)
		}
	}
}
