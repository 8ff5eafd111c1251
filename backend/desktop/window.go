package desktop

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WindowState is the main window's size and position (as Wails v2 reports
// them: relative to the screen the window is on) and whether it was
// maximised.
type WindowState struct {
	X         int  `json:"x"`
	Y         int  `json:"y"`
	Width     int  `json:"width"`
	Height    int  `json:"height"`
	Maximised bool `json:"maximised"`
}

// Sane bounds: anything outside them is a corrupt file or a window that
// was never really shown (minimised windows report tiny sizes on some
// platforms), not something to restore.
const (
	MinWindowWidth  = 400
	MinWindowHeight = 300
	maxWindowSize   = 16384
	maxWindowCoord  = 32767 // the X11 coordinate limit
)

// ErrInvalidWindowState marks a saved state that cannot be restored.
var ErrInvalidWindowState = errors.New("invalid window state")

// Validate checks the state is within sane bounds.
func (w WindowState) Validate() error {
	switch {
	case w.Width < MinWindowWidth || w.Width > maxWindowSize,
		w.Height < MinWindowHeight || w.Height > maxWindowSize:
		return fmt.Errorf("%w: size %d×%d", ErrInvalidWindowState, w.Width, w.Height)
	case abs(w.X) > maxWindowCoord || abs(w.Y) > maxWindowCoord:
		return fmt.Errorf("%w: position %d,%d", ErrInvalidWindowState, w.X, w.Y)
	}
	return nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Fit returns w shrunk to a screen of the given size and moved so all of
// it is on that screen: a window saved on a monitor that is gone, or at a
// larger resolution, must still open where the user can reach it.
func (w WindowState) Fit(screenWidth, screenHeight int) WindowState {
	if screenWidth <= 0 || screenHeight <= 0 {
		return w
	}
	w.Width = min(w.Width, screenWidth)
	w.Height = min(w.Height, screenHeight)
	w.X = max(0, min(w.X, screenWidth-w.Width))
	w.Y = max(0, min(w.Y, screenHeight-w.Height))
	return w
}

// WindowStore keeps the WindowState as a small JSON file.
type WindowStore struct {
	path string
}

// NewWindowStore returns a store for window.json in dataDir.
func NewWindowStore(dataDir string) WindowStore {
	return WindowStore{path: filepath.Join(dataDir, "window.json")}
}

// Load returns the saved state. It fails with an error matching
// os.ErrNotExist when nothing was saved and ErrInvalidWindowState when the
// file is unreadable as a state or out of bounds; either way the window
// should open at its default size.
func (s WindowStore) Load() (WindowState, error) {
	data, err := os.ReadFile(s.path)
	if err != nil {
		return WindowState{}, fmt.Errorf("load window state: %w", err)
	}
	var w WindowState
	if err := json.Unmarshal(data, &w); err != nil {
		return WindowState{}, fmt.Errorf("load window state: %w: %v", ErrInvalidWindowState, err)
	}
	if err := w.Validate(); err != nil {
		return WindowState{}, fmt.Errorf("load window state: %w", err)
	}
	return w, nil
}

// Save writes w; a state out of bounds is refused so it never replaces a
// good one.
func (s WindowStore) Save(w WindowState) error {
	if err := w.Validate(); err != nil {
		return fmt.Errorf("save window state: %w", err)
	}
	data, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("save window state: %w", err)
	}
	if err := writeAtomic(s.path, data, 0o600); err != nil {
		return fmt.Errorf("save window state: %w", err)
	}
	return nil
}
