package e2e

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"relink/backend/store"
	"relink/backend/support"
)

// TestSecretHygiene runs a full sandbox flow through the real binary, then
// searches everything Relink wrote — the SQLite file and its WAL, the
// data dir, the command output and a diagnostics bundle — for every secret
// in the keychain and every token the sandbox issued, in plain, base64 and
// URL-encoded forms.
func TestSecretHygiene(t *testing.T) {
	needRig(t)
	sb := startSandbox(t)
	data := t.TempDir()
	var output strings.Builder
	run := func(stdin string, args ...string) {
		r := relinkCLI(t, data, stdin, args...)
		output.WriteString(r.stdout + r.stderr)
		if r.code != 0 && r.code != 3 {
			t.Fatalf("%v: exit %d %s", args, r.code, r.stderr)
		}
	}
	sb.control(t, "api-keys", `{"keys":{"sk_test_hygieneKEY0123456789":"ops@example.com"}}`)
	run("", "add", "custom-oauth2", "--name", "oauth", "--set", "issuer="+sb.URL, "--set", "client_id=relink", "--set", "scopes=openid offline")
	run("sk_test_hygieneKEY0123456789\n", "add", "custom-api-key", "--name", "key", "--set", "test_url="+sb.URL+"/api/whoami", "--set", "account_path=account", "--secret-stdin")
	// A team alert destination: its webhook URL is a secret too.
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer hook.Close()
	webhook := hook.URL + "/services/T0/B0/hygieneWEBHOOKsecret0123"
	run(webhook+"\n", "alerts", "add", "team", "--format", "slack")
	run("", "alerts", "test", "team")
	run("", "alerts", "list", "--json")
	sb.control(t, "expire-tokens", "")
	run("", "check")
	token := relinkCLI(t, data, "", "token", "oauth").stdout // printed on purpose; not scanned
	bundle := filepath.Join(t.TempDir(), "bundle.zip")
	run("", "diagnostics", "-o", bundle)

	var secrets []string
	out, _ := exec.Command("secret-tool", "search", "--all", "service", "relink").CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "secret = "); ok && len(v) > 8 {
			secrets = append(secrets, v)
			// The stored access token is a small JSON document.
			if i := strings.Index(v, `"a":"`); i >= 0 {
				secrets = append(secrets, strings.SplitN(v[i+5:], `"`, 2)[0])
			}
		}
	}
	secrets = append(secrets, strings.TrimSpace(token), "sk_test_hygieneKEY0123456789", webhook, "hygieneWEBHOOKsecret0123")
	if len(secrets) < 4 {
		t.Fatalf("found only %d secrets to look for: %s", len(secrets), out)
	}
	if f := os.Getenv("RELINK_HYGIENE_FILE"); f != "" {
		os.WriteFile(f, []byte(strings.Join(secrets, "\n")+"\n"), 0o600)
	}
	scan := func(name string, b []byte) {
		if n := support.Leaks(b, secrets); n > 0 {
			t.Errorf("%s contains %d secret(s)", name, n)
		}
	}
	// The walk must see what Relink wrote: the database (named by an
	// integration's provider), else a run that wrote elsewhere would pass.
	sawDB := false
	err := filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sawDB = sawDB || (strings.HasPrefix(filepath.Base(p), store.DBFile) && bytes.Contains(b, []byte("custom-api-key")))
		scan(p, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sawDB {
		t.Fatalf("the scan of %s did not find the database holding the integrations", data)
	}
	scan("command output", []byte(output.String()))
	b, _ := os.ReadFile(bundle)
	scan("bundle", b)
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		content, _ := io.ReadAll(rc)
		rc.Close()
		scan("bundle/"+f.Name, content)
	}
}
