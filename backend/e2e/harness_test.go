package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	bins      struct{ sandbox, relink string }
	buildErr  error
)

// needRig skips unless the real Secret Service and chromium are present.
func needRig(t *testing.T) {
	t.Helper()
	needKeyring(t)
	if _, err := exec.LookPath(chromium()); err != nil {
		t.Skip("needs chromium")
	}
}

func chromium() string {
	if c := os.Getenv("CHROMIUM"); c != "" {
		return c
	}
	return "chromium"
}

// build compiles the sandbox (its own module), the relink binary and its
// database checker once.
func build(t *testing.T) {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "relink-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		bins.sandbox, bins.relink = filepath.Join(dir, "sandbox"), filepath.Join(dir, "relink")
		cmd := exec.Command("go", "build", "-o", bins.sandbox, "./cmd/sandbox")
		cmd.Dir = "../sandbox"
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{"sandbox", string(out)}
			return
		}
		// The tags wails build uses, so the same binary also opens the window.
		tags, err := exec.Command("../../.ci/build-tags").Output()
		if err != nil {
			buildErr = &buildError{"relink", "read the build tags: " + err.Error()}
			return
		}
		cmd = exec.Command("go", "build", "-tags", "desktop,production,"+strings.TrimSpace(string(tags)), "-o", bins.relink, ".")
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{"relink", string(out)}
			return
		}
		// Its database checker, beside it as every install has it.
		if out, err := exec.Command("../../.ci/build-helper", dir).CombinedOutput(); err != nil {
			buildErr = &buildError{"relink-dbprobe", string(out)}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

type buildError struct{ what, out string }

func (e *buildError) Error() string { return "build " + e.what + ": " + e.out }

// sandbox is a running sandbox provider.
type sandbox struct {
	URL string
	cmd *exec.Cmd
}

func startSandbox(t *testing.T, args ...string) *sandbox {
	t.Helper()
	build(t)
	cmd := exec.Command(bins.sandbox, args...)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("sandbox did not print its URL: %v", err)
	}
	return &sandbox{URL: strings.TrimSpace(line), cmd: cmd}
}

func (s *sandbox) control(t *testing.T, path, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(s.URL+"/control/"+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &out)
	if resp.StatusCode != 200 {
		t.Fatalf("control %s: %d %s", path, resp.StatusCode, b)
	}
	return out
}

func (s *sandbox) refreshCount(t *testing.T) int {
	st := s.control(t, "state", "")
	reqs, _ := st["tokenRequests"].(map[string]any)
	n, _ := reqs["refresh_token"].(float64)
	return int(n)
}

// headlessBrowser opens URLs in headless chromium, which follows the
// sandbox's redirect back to Relink's loopback listener.
type headlessBrowser struct {
	before func(url string)
}

func (b headlessBrowser) Open(u string) error {
	if b.before != nil {
		b.before(u)
	}
	dir, err := os.MkdirTemp("", "relink-chromium")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, chromium(), browserArgs(dir, u)...)
	if err := cmd.Start(); err != nil {
		cancel()
		return err
	}
	go func() { cmd.Wait(); cancel(); os.RemoveAll(dir) }()
	return nil
}

func browserArgs(profile, u string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--user-data-dir=" + profile, "--dump-dom", u}
}
