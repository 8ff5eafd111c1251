//go:build !windows && !darwin

package desktop

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// entryName is the autostart file; it matches the application's desktop
// entry so sessions that list startup apps show Relink's name and icon.
const entryName = "relink.desktop"

// NewAutostart returns the Autostart for exe in the user's XDG autostart
// directory ($XDG_CONFIG_HOME/autostart, else ~/.config/autostart).
func NewAutostart(exe string) (Autostart, error) {
	config, err := os.UserConfigDir()
	if err != nil {
		return Autostart{}, autostartError(err)
	}
	return Autostart{Exe: exe, Dir: filepath.Join(config, "autostart")}, nil
}

func (a Autostart) path() string { return filepath.Join(a.Dir, entryName) }

// Enable writes the autostart entry, replacing one for an older path.
func (a Autostart) Enable() error {
	cmd, err := quoteExecArg(a.Exe)
	if err != nil {
		return autostartError(err)
	}
	entry := "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=Relink\n" +
		"Comment=Keeps your data integrations authorized\n" +
		"Exec=" + cmd + " " + HiddenFlag + "\n" +
		"Icon=relink\n" +
		"Terminal=false\n" +
		"X-GNOME-Autostart-enabled=true\n"
	if err := writeAtomic(a.path(), []byte(entry), 0o644); err != nil {
		return autostartError(err)
	}
	return nil
}

// Disable removes the autostart entry.
func (a Autostart) Disable() error {
	if err := removeFile(a.path()); err != nil {
		return autostartError(err)
	}
	return nil
}

// Enabled reports whether the entry exists and the session will run it:
// desktops' startup-app settings switch an entry off with Hidden=true or
// X-GNOME-Autostart-enabled=false rather than deleting it.
func (a Autostart) Enabled() (bool, error) {
	data, err := os.ReadFile(a.path())
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, autostartError(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		switch strings.TrimSpace(sc.Text()) {
		case "Hidden=true", "X-GNOME-Autostart-enabled=false":
			return false, nil
		}
	}
	return true, nil
}

// quoteExecArg renders one argument for an Exec key per the Desktop Entry
// Specification: quoted when it holds a reserved character, with ", `, $
// and \ escaped inside the quotes, % doubled, and then the string-level
// escaping of backslashes applied on top.
func quoteExecArg(arg string) (string, error) {
	if arg == "" {
		return "", errors.New("empty executable path")
	}
	for _, r := range arg {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("executable path %q has a control character", arg)
		}
	}
	s := arg
	if strings.ContainsAny(s, " \t\"'\\><~|&;$*?#()`") {
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range s {
			if strings.ContainsRune("\"`$\\", r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
		s = b.String()
	}
	s = strings.ReplaceAll(s, "%", "%%")
	return strings.ReplaceAll(s, `\`, `\\`), nil
}
