package oauth

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// SystemOpener opens URLs in the user's browser: $BROWSER when set (a
// colon-separated list of commands, "%s" replaced by the URL, as the
// convention goes), else the platform's opener. Never an embedded view.
type SystemOpener struct {
	Getenv func(string) string
}

// Open starts the browser and returns once it has been launched.
func (o SystemOpener) Open(url string) error {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var errs []error
	if b := getenv("BROWSER"); b != "" {
		for _, c := range strings.Split(b, ":") {
			if c = strings.TrimSpace(c); c == "" {
				continue
			}
			if err := start(browserCommand(c, url)); err != nil {
				errs = append(errs, err)
				continue
			}
			return nil
		}
	}
	var argv []string
	switch runtime.GOOS {
	case "darwin":
		argv = []string{"open", url}
	case "windows":
		argv = []string{"rundll32", "url.dll,FileProtocolHandler", url}
	default:
		argv = []string{"xdg-open", url}
	}
	if err := start(argv); err != nil {
		return errors.Join(append(errs, err)...)
	}
	return nil
}

func browserCommand(c, url string) []string {
	fields := strings.Fields(c)
	replaced := false
	for i, f := range fields {
		if strings.Contains(f, "%s") {
			fields[i] = strings.ReplaceAll(f, "%s", url)
			replaced = true
		}
	}
	if !replaced {
		fields = append(fields, url)
	}
	return fields
}

// launchGrace is how long a browser command may take to fail. Openers
// like xdg-open exit once the browser runs, and a browser itself keeps
// running; a command that exits non-zero at once (BROWSER=false, xdg-open
// with no browser configured) opened nothing.
const launchGrace = 2 * time.Second

func start(argv []string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	// The browser outlives this call; reap it in the background.
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			return fmt.Errorf("browser command %s: %w", argv[0], err)
		}
	case <-time.After(launchGrace):
	}
	return nil
}
