package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

type cliResult struct {
	code           int
	stdout, stderr string
}

// relinkCLI runs the real binary over one data dir; BROWSER is a headless
// chromium wrapper so `reauth` completes on its own.
func relinkCLI(t *testing.T, dataDir, stdin string, args ...string) cliResult {
	t.Helper()
	env := append(os.Environ(), "BROWSER="+browserScript(t), "LANG=en_US.UTF-8", "LC_ALL=")
	return runRelink(t, context.Background(), env, dataDir, stdin, args...)
}

// runRelink runs the real binary over dataDir with env until ctx ends.
func runRelink(t *testing.T, ctx context.Context, env []string, dataDir, stdin string, args ...string) cliResult {
	t.Helper()
	cmd := exec.CommandContext(ctx, bins.relink, append([]string{"--data-dir", dataDir}, args...)...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return cliResult{code, out.String(), errb.String()}
}

var scriptOnce sync.Once
var script string

func browserScript(t *testing.T) string {
	scriptOnce.Do(func() {
		dir, _ := os.MkdirTemp("", "relink-browser")
		script = filepath.Join(dir, "headless-browser")
		body := "#!/bin/sh\nprofile=$(mktemp -d)\nexec " + chromium() + " " + strings.Join(browserArgs("$profile", `"$1"`), " ") + " >/dev/null 2>&1\n"
		os.WriteFile(script, []byte(body), 0o755)
	})
	return script
}

func TestCLIAgainstSandbox(t *testing.T) {
	needRig(t)
	sb := startSandbox(t)
	data := t.TempDir()

	r := relinkCLI(t, data, "", "add", "custom-oauth2", "--name", "hydra", "--set", "issuer="+sb.URL, "--set", "client_id=relink",
		"--set", "scopes=openid offline analytics.read", "--json")
	if r.code != 0 {
		t.Fatalf("add: exit %d: %s", r.code, r.stderr)
	}
	var added map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &added); err != nil || added["status"] != "connected" || added["account"] != "ana@example.com" {
		t.Fatalf("add --json: %v %s", err, r.stdout)
	}
	r = relinkCLI(t, data, "", "list", "--json")
	var list []map[string]any
	if json.Unmarshal([]byte(r.stdout), &list); r.code != 0 || len(list) != 1 {
		t.Fatalf("list: %d %s", r.code, r.stdout)
	}
	if r = relinkCLI(t, data, "", "check", "hydra"); r.code != 0 {
		t.Fatalf("check: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = relinkCLI(t, data, "", "token", "hydra")
	tok := strings.TrimSpace(r.stdout)
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 || tok == "" {
		t.Fatalf("token: exit %d stdout %q", r.code, r.stdout)
	}
	req, _ := http.NewRequest("GET", sb.URL+"/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the sandbox does not accept the printed token: %v", err)
	}
	resp.Body.Close()

	sb.control(t, "revoke-user", `{}`)
	r = relinkCLI(t, data, "", "check", "--json")
	var checked []map[string]any
	json.Unmarshal([]byte(r.stdout), &checked)
	if r.code != 3 || len(checked) != 1 || checked[0]["cause"] != "access_revoked" {
		t.Fatalf("check after revocation: exit %d %s; want 3 with access_revoked", r.code, r.stdout)
	}
	sb.control(t, "reset", "")
	if r = relinkCLI(t, data, "", "reauth", "hydra"); r.code != 0 {
		t.Fatalf("reauth: exit %d %s", r.code, r.stderr)
	}
	if r = relinkCLI(t, data, "", "check"); r.code != 0 {
		t.Fatalf("check after reauth: exit %d %s", r.code, r.stdout)
	}

	// Two processes needing a refresh at once: one refresh request.
	sb.control(t, "expire-tokens", "")
	before := sb.refreshCount(t)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = relinkCLI(t, data, "", "check", "hydra").code
		}()
	}
	wg.Wait()
	if codes[0] != 0 || codes[1] != 0 {
		t.Errorf("concurrent checks: exit codes %v", codes)
	}
	if got := sb.refreshCount(t) - before; got != 1 {
		t.Errorf("two processes made %d refresh requests; want 1", got)
	}

	r = relinkCLI(t, data, "", "history", "hydra", "--json", "--since", "1h")
	var evs []map[string]any
	if json.Unmarshal([]byte(r.stdout), &evs); r.code != 0 || len(evs) < 5 {
		t.Errorf("history: exit %d, %d events", r.code, len(evs))
	}
	diag := filepath.Join(t.TempDir(), "diag.zip")
	if r = relinkCLI(t, data, "", "diagnostics", "hydra", "-o", diag); r.code != 0 {
		t.Errorf("diagnostics: %d %s", r.code, r.stderr)
	}
	if r = relinkCLI(t, data, "", "remove", "hydra", "--yes"); r.code != 0 {
		t.Errorf("remove: %d %s", r.code, r.stderr)
	}

	// Bad input: clear error, exit 2 or 1, nothing half-created.
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"add", "nope", "--name", "x"}, 2},
		{[]string{"add", "custom-oauth2", "--name", "x", "--set", "client_id=relink"}, 2},
		{[]string{"add", "custom-oauth2", "--name", "x", "--set", "issuer=ftp://x", "--set", "client_id=relink"}, 2},
	} {
		if r = relinkCLI(t, data, "", tc.args...); r.code != tc.code || r.stderr == "" {
			t.Errorf("%v: exit %d %q; want %d", tc.args, r.code, r.stderr, tc.code)
		}
	}
	if r = relinkCLI(t, data, "", "list", "--json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("left behind: %s", r.stdout)
	}
	if r = relinkCLI(t, data, "", "frobnicate"); r.code != 2 {
		t.Errorf("unknown command: exit %d", r.code)
	}
}
