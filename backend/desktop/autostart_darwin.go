package desktop

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
)

// launchAgentLabel matches CFBundleIdentifier in build/darwin/Info.plist.
const launchAgentLabel = "com.wails.relink"

// NewAutostart returns the Autostart for exe in ~/Library/LaunchAgents.
// exe is the binary inside the .app bundle.
func NewAutostart(exe string) (Autostart, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Autostart{}, autostartError(err)
	}
	return Autostart{Exe: exe, Dir: filepath.Join(home, "Library", "LaunchAgents")}, nil
}

func (a Autostart) path() string { return filepath.Join(a.Dir, launchAgentLabel+".plist") }

// Enable writes a LaunchAgent that runs Relink hidden at login.
func (a Autostart) Enable() error {
	if a.Exe == "" {
		return autostartError(errors.New("empty executable path"))
	}
	var exe bytes.Buffer
	if err := xml.EscapeText(&exe, []byte(a.Exe)); err != nil {
		return autostartError(err)
	}
	plist := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + launchAgentLabel + `</string>
	<key>ProgramArguments</key>
	<array>
		<string>` + exe.String() + `</string>
		<string>` + HiddenFlag + `</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`
	if err := writeAtomic(a.path(), []byte(plist), 0o644); err != nil {
		return autostartError(err)
	}
	return nil
}

// Disable removes the LaunchAgent.
func (a Autostart) Disable() error {
	if err := removeFile(a.path()); err != nil {
		return autostartError(err)
	}
	return nil
}

// Enabled reports whether the LaunchAgent exists.
func (a Autostart) Enabled() (bool, error) {
	_, err := os.Stat(a.path())
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, autostartError(err)
	}
	return true, nil
}
