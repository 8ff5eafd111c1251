package desktop

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWindowStoreRoundTrip(t *testing.T) {
	s := NewWindowStore(t.TempDir())
	want := WindowState{X: 120, Y: -40, Width: 1100, Height: 760, Maximised: true}
	if err := s.Save(want); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, err := s.Load()
	if err != nil || got != want {
		t.Errorf("Load() = %+v, %v; want %+v, nil", got, err, want)
	}
}

func TestWindowStoreLoadFailures(t *testing.T) {
	tests := []struct {
		name    string
		content string // "" means no file
		want    error
	}{
		{"nothing saved", "", os.ErrNotExist},
		{"corrupt", "{not json", ErrInvalidWindowState},
		{"too small", `{"x":0,"y":0,"width":10,"height":10}`, ErrInvalidWindowState},
		{"too large", `{"x":0,"y":0,"width":100000,"height":800}`, ErrInvalidWindowState},
		{"far off", `{"x":-99999,"y":0,"width":800,"height":600}`, ErrInvalidWindowState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.content != "" {
				if err := os.WriteFile(filepath.Join(dir, "window.json"), []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := NewWindowStore(dir).Load()
			if !errors.Is(err, tt.want) {
				t.Errorf("Load() = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestWindowStoreSaveRefusesInvalid(t *testing.T) {
	s := NewWindowStore(t.TempDir())
	good := WindowState{Width: 900, Height: 700}
	if err := s.Save(good); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(WindowState{Width: 0, Height: 0}); !errors.Is(err, ErrInvalidWindowState) {
		t.Errorf("Save(zero) = %v; want ErrInvalidWindowState", err)
	}
	if got, err := s.Load(); err != nil || got != good {
		t.Errorf("Load() after refused save = %+v, %v; want %+v", got, err, good)
	}
}

func TestWindowStateFit(t *testing.T) {
	tests := []struct {
		name   string
		in     WindowState
		sw, sh int
		want   WindowState
	}{
		{"already fits", WindowState{X: 10, Y: 20, Width: 800, Height: 600}, 1920, 1080, WindowState{X: 10, Y: 20, Width: 800, Height: 600}},
		{"off the right edge", WindowState{X: 1800, Y: 20, Width: 800, Height: 600}, 1920, 1080, WindowState{X: 1120, Y: 20, Width: 800, Height: 600}},
		{"negative position", WindowState{X: -300, Y: -10, Width: 800, Height: 600}, 1920, 1080, WindowState{X: 0, Y: 0, Width: 800, Height: 600}},
		{"larger than the screen", WindowState{X: 50, Y: 50, Width: 2560, Height: 1440}, 1366, 768, WindowState{X: 0, Y: 0, Width: 1366, Height: 768}},
		{"unknown screen leaves it", WindowState{X: 5000, Y: 5000, Width: 800, Height: 600}, 0, 0, WindowState{X: 5000, Y: 5000, Width: 800, Height: 600}},
		{"keeps maximised", WindowState{Width: 800, Height: 600, Maximised: true}, 1024, 768, WindowState{Width: 800, Height: 600, Maximised: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Fit(tt.sw, tt.sh); got != tt.want {
				t.Errorf("%+v.Fit(%d, %d) = %+v; want %+v", tt.in, tt.sw, tt.sh, got, tt.want)
			}
		})
	}
}
