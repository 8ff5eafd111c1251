package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Issue 19's points whose behaviour is the binary's own: a real terminal,
// a real browser command, a real build.

// needKeyring skips unless the real Secret Service runs (no browser needed).
func needKeyring(t *testing.T) {
	t.Helper()
	if os.Getenv("RELINK_TEST_KEYRING") == "" || os.Getenv("RELINK_TEST_KEYRING_MODE") != "unlocked" {
		t.Skip("needs the real Secret Service: run under .ci/with-keyring")
	}
}

// guard bounds a wait that should end at once, so a broken build fails
// instead of hanging; nothing is measured.
const guard = 60 * time.Second

// terminal collects everything the program writes to its terminal.
type terminal struct {
	mu  sync.Mutex
	buf bytes.Buffer
	ch  chan struct{}
}

func watch(r io.Reader) *terminal {
	tm := &terminal{ch: make(chan struct{}, 1)}
	go func() {
		b := make([]byte, 1024)
		for {
			n, err := r.Read(b)
			tm.mu.Lock()
			tm.buf.Write(b[:n])
			tm.mu.Unlock()
			select {
			case tm.ch <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return tm
}

func (tm *terminal) String() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.buf.String()
}

// waitFor returns once the terminal shows want, or fails after the guard.
func (tm *terminal) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(guard)
	for !strings.Contains(tm.String(), want) {
		select {
		case <-tm.ch:
		case <-deadline:
			t.Fatalf("the terminal never showed %q; it shows %q", want, tm.String())
		}
	}
}

// 1. --secret-stdin on a terminal prompts and reads without echo.
func TestCLISecretPromptOnATerminal(t *testing.T) {
	needKeyring(t)
	build(t)
	const key = "typed-at-the-prompt"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	data := t.TempDir()
	add := []string{"add", "custom-api-key", "--name", "ops", "--set", "test_url=" + srv.URL, "--secret-stdin"}

	// Ctrl-C at the prompt: the terminal gets its echo back.
	cmd, ptmx, term := promptOnPTY(t, io.Discard, data, add...)
	io.WriteString(ptmx, "\x03")
	if err := waitGuarded(t, cmd); err == nil || !strings.Contains(term.String(), "Cancelled") {
		t.Errorf("Ctrl-C at the prompt: %v, terminal %q; want cancelled", err, term.String())
	}
	if echoOff(t, ptmx) {
		t.Error("the terminal was left without echo after Ctrl-C")
	}
	ptmx.Close()

	var out bytes.Buffer
	cmd, ptmx, term = promptOnPTY(t, &out, data, add...)
	defer ptmx.Close()
	io.WriteString(ptmx, key+"\n")
	if err := waitGuarded(t, cmd); err != nil {
		t.Fatalf("add: %v; terminal %q", err, term.String())
	}
	if strings.Contains(term.String(), key) {
		t.Errorf("the key showed on the terminal: %q", term.String())
	}
	if !strings.Contains(out.String(), "ops: Connected") {
		t.Errorf("stdout %q; want the key accepted", out.String())
	}
	// From a pipe, as before: no prompt.
	r := relinkCLI(t, data, key+"\n", "reauth", "ops", "--secret-stdin")
	if r.code != 0 || strings.Contains(r.stderr, "API key for") {
		t.Errorf("reauth from a pipe: exit %d, stderr %q; want no prompt", r.code, r.stderr)
	}
}

// promptOnPTY starts relink with a new terminal as stdin and stderr and
// returns once it asks for the key with echo off (so typing cannot echo).
func promptOnPTY(t *testing.T, stdout io.Writer, data string, args ...string) (*exec.Cmd, *os.File, *terminal) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skip("no pty:", err)
	}
	cmd := exec.Command(bins.relink, append([]string{"--data-dir", data}, args...)...)
	cmd.Env = append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL=")
	cmd.Stdin, cmd.Stderr, cmd.Stdout = tty, tty, stdout
	// The terminal is relink's controlling terminal, so Ctrl-C reaches it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	term := watch(ptmx)
	term.waitFor(t, "API key for “ops” (not shown as you type):")
	// The prompt comes just before the echo is switched off.
	deadline := time.Now().Add(guard)
	for !echoOff(t, ptmx) {
		if time.Now().After(deadline) {
			t.Fatal("the terminal still echoes while the key is asked for")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cmd, ptmx, term
}

// waitGuarded waits for the process we started; one still running after
// the guard is ended (by its PID) and the test fails.
func waitGuarded(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(guard):
		cmd.Process.Kill()
		<-done
		t.Fatal("relink did not end")
		return nil
	}
}

func echoOff(t *testing.T, ptmx *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(ptmx.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO == 0
}

// fakeIssuer serves just enough OAuth metadata for an authorization to
// start (authorization, token and device endpoints, PKCE S256).
func fakeIssuer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The issuer is read from the request: the handler may run before
		// the server variable is assigned (a data race under -race).
		base := "http://" + r.Host
		if !strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration") && !strings.HasSuffix(r.URL.Path, "/.well-known/oauth-authorization-server") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": base, "authorization_endpoint": base + "/authorize", "token_endpoint": base + "/token",
			"device_authorization_endpoint": base + "/device", "code_challenge_methods_supported": []string{"S256"},
			"response_types_supported": []string{"code"},
		})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// 6. A browser command that fails (or none at all): the URL to open is
// printed at once, with the device-code option, never "Opened".
func TestCLIBrowserThatFailsPrintsTheURL(t *testing.T) {
	needKeyring(t) // add saves the client settings before it authorizes
	build(t)
	issuer := fakeIssuer(t)
	empty := t.TempDir()
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"BROWSER=false", []string{"BROWSER=false"}},
		{"no xdg-open", []string{"BROWSER=", "PATH=" + empty}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bins.relink, "--data-dir", t.TempDir(), "add", "custom-oauth2", "--name", "crm",
				"--set", "issuer="+issuer, "--set", "client_id=relink")
			cmd.Env = append(os.Environ(), append([]string{"LANG=en_US.UTF-8", "LC_ALL="}, tc.env...)...)
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The process we started waits for an authorization that never
			// comes: end it by its PID.
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			lines := make(chan string)
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var seen []string
			deadline := time.After(guard)
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("relink ended without printing the URL: %q", seen)
					}
					seen = append(seen, l)
				case <-deadline:
					t.Fatalf("no URL printed; stderr so far %q", seen)
				}
				if strings.Contains(strings.Join(seen, "\n"), "Opened your browser") {
					t.Fatalf("claims a browser opened: %q", seen)
				}
				if strings.Contains(strings.Join(seen, "\n"), "--device") {
					break
				}
			}
			all := strings.Join(seen, "\n")
			if !strings.Contains(all, "Open this URL in a browser") || !strings.Contains(all, issuer+"/authorize?") {
				t.Errorf("stderr %q; want the URL to open", all)
			}
		})
	}
}

// 2. Removing during an outage: say access was not revoked and where to
// revoke it; record it; --json keeps revoked:false; exit 3.
func TestCLIRemoveDuringAnOutage(t *testing.T) {
	needRig(t)
	sb := startSandbox(t)
	data := t.TempDir()
	for _, n := range []string{"hydra", "hydra2"} {
		if r := relinkCLI(t, data, "", "add", "custom-oauth2", "--name", n, "--set", "issuer="+sb.URL, "--set", "client_id=relink",
			"--set", "scopes=openid offline"); r.code != 0 {
			t.Fatalf("add %s: exit %d %s", n, r.code, r.stderr)
		}
	}
	// The provider goes down.
	sb.cmd.Process.Kill()
	sb.cmd.Wait()

	r := relinkCLI(t, data, "", "remove", "hydra", "--yes")
	if r.code != 3 || !strings.Contains(r.stdout, "Removed “hydra”") || !strings.Contains(r.stderr, "NOT revoked at the provider") ||
		!strings.Contains(r.stderr, "Revoke it yourself") {
		t.Errorf("remove during an outage: exit %d, stdout %q, stderr %q; want 3 saying access stays valid", r.code, r.stdout, r.stderr)
	}
	r = relinkCLI(t, data, "", "remove", "hydra2", "--yes", "--json")
	var res map[string]any
	json.Unmarshal([]byte(r.stdout), &res)
	if r.code != 3 || res["revoked"] != false || res["problem"] == nil {
		t.Errorf("remove --json: exit %d %s; want 3 with revoked:false and the problem", r.code, r.stdout)
	}
	r = relinkCLI(t, data, "", "history", "--json")
	var evs []map[string]any
	json.Unmarshal([]byte(r.stdout), &evs)
	n := 0
	for _, e := range evs {
		if e["kind"] == "removed" {
			if e["detail"] != "not_revoked" || !strings.HasPrefix(fmt.Sprint(e["message"]), "problem.not_revoked") {
				t.Errorf("removed event %v; want not_revoked recorded", e)
			}
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d removed events; want 2", n)
	}
	if r = relinkCLI(t, data, "", "history"); !strings.Contains(r.stdout, "Access was not revoked at the provider") {
		t.Errorf("history table does not say it:\n%s", r.stdout)
	}
}

// 12. `relink version` is the release's version, not "dev", even from a
// build that was not stamped with -ldflags.
func TestCLIVersionIsTheRelease(t *testing.T) {
	build(t)
	raw, err := os.ReadFile("../../wails.json")
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Info struct {
			ProductVersion string `json:"productVersion"`
		} `json:"info"`
	}
	if err := json.Unmarshal(raw, &w); err != nil || w.Info.ProductVersion == "" {
		t.Fatalf("wails.json: %v", err)
	}
	r := relinkCLI(t, t.TempDir(), "", "version", "--json")
	var got map[string]string
	json.Unmarshal([]byte(r.stdout), &got)
	if r.code != 0 || got["version"] != w.Info.ProductVersion {
		t.Errorf("version --json = %s; want %q", r.stdout, w.Info.ProductVersion)
	}
}
