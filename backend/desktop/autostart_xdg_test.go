//go:build !windows && !darwin

package desktop

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"relink/backend/integration"
)

func TestNewAutostartHonoursXDGConfigHome(t *testing.T) {
	tests := []struct {
		name, xdg, home, want string
	}{
		{"XDG_CONFIG_HOME", "/x/config", "/home/u", "/x/config/autostart"},
		{"fallback to HOME", "", "/home/u", "/home/u/.config/autostart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_CONFIG_HOME", tt.xdg)
			t.Setenv("HOME", tt.home)
			a, err := NewAutostart("/usr/bin/relink")
			if err != nil {
				t.Fatal(err)
			}
			if a.Dir != tt.want {
				t.Errorf("Dir = %q; want %q", a.Dir, tt.want)
			}
		})
	}
}

func TestAutostartEnableDisable(t *testing.T) {
	a := Autostart{Exe: "/opt/Relink App/relink", Dir: filepath.Join(t.TempDir(), "autostart")}
	path := filepath.Join(a.Dir, "relink.desktop")

	if on, err := a.Enabled(); err != nil || on {
		t.Fatalf("Enabled() before Enable = %v, %v; want false, nil", on, err)
	}
	if err := a.Enable(); err != nil {
		t.Fatalf("Enable: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "\nExec=\"/opt/Relink App/relink\" --hidden\n"; !strings.Contains(string(data), want) {
		t.Errorf("entry =\n%s\nwant a line %q", data, strings.TrimSpace(want))
	}
	if on, err := a.Enabled(); err != nil || !on {
		t.Errorf("Enabled() after Enable = %v, %v; want true, nil", on, err)
	}
	if tool, err := exec.LookPath("desktop-file-validate"); err == nil {
		if out, err := exec.Command(tool, path).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("desktop-file-validate: %v\n%s", err, out)
		}
	}

	// Enabling again after the app moved points the entry at the new path.
	a.Exe = "/usr/bin/relink"
	if err := a.Enable(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "\nExec=/usr/bin/relink --hidden\n") {
		t.Errorf("entry after moving =\n%s", data)
	}

	if err := a.Disable(); err != nil {
		t.Fatalf("Disable: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("entry still exists after Disable: %v", err)
	}
	if err := a.Disable(); err != nil {
		t.Errorf("second Disable = %v; want nil", err)
	}
}

func TestAutostartSwitchedOffBySession(t *testing.T) {
	for _, line := range []string{"Hidden=true", "X-GNOME-Autostart-enabled=false"} {
		t.Run(line, func(t *testing.T) {
			a := Autostart{Exe: "/usr/bin/relink", Dir: t.TempDir()}
			entry := "[Desktop Entry]\nType=Application\nName=Relink\nExec=/usr/bin/relink --hidden\n" + line + "\n"
			if err := os.WriteFile(filepath.Join(a.Dir, "relink.desktop"), []byte(entry), 0o644); err != nil {
				t.Fatal(err)
			}
			if on, err := a.Enabled(); err != nil || on {
				t.Errorf("Enabled() with %s = %v, %v; want false, nil", line, on, err)
			}
		})
	}
}

func TestAutostartErrorsCarryAProblem(t *testing.T) {
	// A file where the directory should be makes every write fail.
	blocker := filepath.Join(t.TempDir(), "autostart")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a    Autostart
	}{
		{"unwritable directory", Autostart{Exe: "/usr/bin/relink", Dir: blocker}},
		{"empty path", Autostart{Dir: t.TempDir()}},
		{"control character", Autostart{Exe: "/usr/bin/re\nlink", Dir: t.TempDir()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Enable()
			if !errors.Is(err, ErrAutostart) {
				t.Fatalf("Enable() = %v; want ErrAutostart", err)
			}
			if p := integration.AsProblem(err); p.Code != "error.autostart_failed" {
				t.Errorf("problem code = %q; want error.autostart_failed", p.Code)
			}
		})
	}
}

func TestQuoteExecArg(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/usr/bin/relink", "/usr/bin/relink"},
		{"/opt/My Apps/relink", `"/opt/My Apps/relink"`},
		{"/opt/a$b/relink", `"/opt/a\\$b/relink"`},
		{`/opt/say "hi"/relink`, `"/opt/say \\"hi\\"/relink"`},
		{`/opt/back\slash/relink`, `"/opt/back\\\\slash/relink"`},
		{"/opt/100%/relink", "/opt/100%%/relink"},
		{"/opt/tick`/relink", "\"/opt/tick\\\\`/relink\""},
	}
	for _, tt := range tests {
		got, err := quoteExecArg(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("quoteExecArg(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "/a\tb", "/a\x7fb"} {
		if _, err := quoteExecArg(bad); err == nil {
			t.Errorf("quoteExecArg(%q) succeeded; want an error", bad)
		}
	}
}
