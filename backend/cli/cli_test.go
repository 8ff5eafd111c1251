package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"relink/backend/alerts"
	"relink/backend/catalog"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/secrets"
	"relink/backend/services"
	"relink/backend/store"
	"relink/backend/support"
)

// env runs commands in-process over one data dir and an in-memory
// keychain (the subprocess suite uses the real binary and keychain).
type harness struct {
	t    *testing.T
	dir  string
	mem  *secrets.Memory
	lang string
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, dir: t.TempDir(), mem: secrets.NewMemory(), lang: "en_US.UTF-8"}
}

func (h *harness) run(stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := h.runWith(strings.NewReader(stdin), &out, &errb, args...)
	return code, out.String(), errb.String()
}

// runWith runs one command with the given streams (a terminal, say).
func (h *harness) runWith(stdin io.Reader, stdout, stderr io.Writer, args ...string) int {
	cat, err := i18n.Load()
	if err != nil {
		h.t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "LANG" {
			return h.lang
		}
		return ""
	}
	env := Env{
		Stdin: stdin, Stdout: stdout, Stderr: stderr, Version: "test", I18n: cat, Getenv: getenv,
		Open: func(ctx context.Context, dataDir string) (Core, func(), error) {
			st, err := store.OpenForApp(ctx, filepath.Join(h.dir, store.DBFile))
			if err != nil {
				return nil, nil, err
			}
			providers, _ := catalog.Load()
			keys := secrets.NewWithBackend("relink-test", time.Second, h.mem, nil)
			svc := services.New(services.Config{Store: st, Secrets: keys, Catalog: providers, I18n: cat, DataDir: h.dir,
				Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
			desk := &support.Desk{Records: st, Secrets: keys, Catalog: providers, Views: svc, I18n: cat, Now: time.Now, Getenv: getenv, Version: "test", DataDir: h.dir}
			return testCore{svc, desk, &alerts.Manager{Store: st, Secrets: keys, Client: http.DefaultClient,
				Tr: i18n.Translator{Catalog: cat, Lang: func() string { return "en" }}}}, func() { st.Close() }, nil
		},
	}
	return Main(context.Background(), args, env)
}

func keyServer(t *testing.T) (*httptest.Server, func(string)) {
	var mu sync.Mutex
	valid := "k1"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+valid {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, `{"email":"ops@example.com"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func(k string) { mu.Lock(); valid = k; mu.Unlock() }
}

func TestCLIContract(t *testing.T) {
	h := newHarness(t)
	srv, setKey := keyServer(t)
	code, out, errs := h.run("k1\n", "add", "custom-api-key", "--name", "Ops API", "--set", "test_url="+srv.URL+"/me", "--set", "account_path=email", "--secret-stdin", "--json")
	if code != ExitOK {
		t.Fatalf("add: exit %d, %s", code, errs)
	}
	var added services.IntegrationView
	if err := json.Unmarshal([]byte(out), &added); err != nil || added.Status != "connected" || added.Account != "ops@example.com" {
		t.Fatalf("add --json: %v %+v", err, added)
	}
	code, out, _ = h.run("", "list", "--json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 || len(list) != 1 || list[0]["status"] != "connected" {
		t.Fatalf("list --json: %d %v %s", code, err, out)
	}
	if code, out, _ = h.run("", "token", "ops api"); code != 0 || out != "k1\n" {
		t.Errorf("token: exit %d, stdout %q; want only the key", code, out)
	}
	setKey("k2")
	code, out, _ = h.run("", "check", "Ops API", "--json")
	var checked []services.IntegrationView
	json.Unmarshal([]byte(out), &checked)
	// A rotated key is not an expired token: the user enters a new key.
	if code != ExitAttention || len(checked) != 1 || checked[0].Status != "needs_reauth" || checked[0].Cause != "access_revoked" ||
		checked[0].Problem == nil || checked[0].Problem.Code != "problem.api_key_rejected" {
		t.Errorf("check after rotation: exit %d, %s; want 3 needs_reauth/access_revoked, problem.api_key_rejected", code, out)
	}
	_, out, _ = h.run("", "check", "Ops API")
	if want := "↳ The provider rejected the API key: it was rotated, revoked or has expired. Enter a new key."; !strings.Contains(out, want) {
		t.Errorf("check after rotation says\n%s\nwant a line %q", out, want)
	}
	// Said once, not "rejected this credential: The provider rejected the token: it expired."
	want := "relink: The provider rejected the API key: it was rotated, revoked or has expired. Enter a new key.\n"
	if code, _, errs = h.run("wrong\n", "reauth", "Ops API", "--secret-stdin"); code != ExitFailed || errs != want {
		t.Errorf("reauth with a wrong key: exit %d, %q; want %q", code, errs, want)
	}
	if code, _, errs = h.run("k2\n", "reauth", "Ops API", "--secret-stdin"); code != ExitOK {
		t.Errorf("reauth: exit %d, %s", code, errs)
	}
	if code, _, _ = h.run("", "check"); code != ExitOK {
		t.Errorf("check after repair: exit %d; want 0", code)
	}
	code, out, _ = h.run("", "history", "Ops API", "--json", "--limit", "100")
	var evs []map[string]any
	if err := json.Unmarshal([]byte(out), &evs); err != nil || code != 0 || len(evs) < 5 {
		t.Errorf("history --json: %d events, %v", len(evs), err)
	}
	if code, _, _ = h.run("", "remove", "Ops API", "--yes"); code != 0 || h.mem.Len() != 0 {
		t.Errorf("remove: exit %d, %d keychain items left", code, h.mem.Len())
	}
}

func TestCLIBadInput(t *testing.T) {
	h := newHarness(t)
	srv, _ := keyServer(t)
	dir := t.TempDir()
	empty, key := filepath.Join(dir, "empty"), filepath.Join(dir, "id_ed25519")
	os.WriteFile(empty, []byte("\n"), 0o600)
	os.WriteFile(key, []byte("a key file for the test\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "huge"), make([]byte, 1<<16+1), 0o600)
	apiAdd := []string{"add", "custom-api-key", "--name", "x", "--set", "test_url=" + srv.URL, "--secret-stdin"}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"unknown command", "", []string{"frobnicate"}, ExitUsage, "unknown command"},
		{"unknown provider", "k1\n", []string{"add", "nope", "--name", "x", "--secret-stdin"}, ExitUsage, "Unknown provider"},
		{"missing setting", "k1\n", []string{"add", "custom-api-key", "--name", "x", "--secret-stdin"}, ExitUsage, "required"},
		{"invalid url", "k1\n", []string{"add", "custom-api-key", "--name", "x", "--set", "test_url=ftp://x", "--secret-stdin"}, ExitUsage, "must start with https://"},
		{"wrong secret", "nope\n", []string{"add", "custom-api-key", "--name", "x", "--set", "test_url=" + srv.URL, "--secret-stdin"}, ExitFailed, "rejected"},
		{"bad set", "", []string{"add", "custom-api-key", "--name", "x", "--set", "novalue"}, ExitUsage, "KEY=VALUE"},
		{"no such integration", "", []string{"token", "ghost"}, ExitUsage, "ghost"},
		{"bad limit", "", []string{"history", "--limit", "0"}, ExitUsage, "--limit"},
		{"bad flag", "", []string{"list", "--frob"}, ExitUsage, "frob"},
		{"secret file without a field", "k1\n", append(apiAdd, "--secret-file", key), ExitUsage, "FIELD=PATH"},
		{"missing secret file", "k1\n", append(apiAdd, "--secret-file", "ssh_key="+dir+"/nope"), ExitUsage, "cannot read the secret file " + dir + "/nope"},
		{"secret file is a folder", "k1\n", append(apiAdd, "--secret-file", "ssh_key="+dir), ExitUsage, "cannot read the secret file"},
		{"empty secret file", "k1\n", append(apiAdd, "--secret-file", "ssh_key="+empty), ExitUsage, "is empty"},
		{"huge secret file", "k1\n", append(apiAdd, "--secret-file", "ssh_key="+dir+"/huge"), ExitUsage, "larger than 64 KB"},
		{"secret file for a field the provider lacks", "k1\n", append(apiAdd, "--secret-file", "ssh_key="+key), ExitUsage, "SSH private key is not a setting"},
	} {
		code, _, errs := h.run(tc.stdin, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) || strings.Count(strings.TrimSpace(errs), "\n") > 0 && tc.name != "unknown command" {
			t.Errorf("%s: exit %d, stderr %q; want %d containing %q in one line", tc.name, code, errs, tc.code, tc.msg)
		}
	}
	if code, out, _ := h.run("", "list", "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("something was half-created: %s", out)
	}
}

func TestCLISpanish(t *testing.T) {
	h := newHarness(t)
	h.lang = "es_ES.UTF-8"
	srv, _ := keyServer(t)
	h.run("k1\n", "add", "custom-api-key", "--name", "API", "--set", "test_url="+srv.URL, "--secret-stdin")
	_, out, _ := h.run("", "list")
	for _, want := range []string{"NOMBRE", "ESTADO", "Conectada"} {
		if !strings.Contains(out, want) {
			t.Errorf("Spanish list lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = h.run("", "list", "--json")
	if !strings.Contains(out, `"status": "connected"`) || strings.Contains(out, "Conectada") {
		t.Errorf("--json must stay language-neutral:\n%s", out)
	}
}

func TestSplitDataDir(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wantDir  string
		wantRest []string
		wantErr  string
	}{
		{nil, "", nil, ""},
		{[]string{"list"}, "", []string{"list"}, ""},
		{[]string{"--data-dir", "/x", "list"}, "/x", []string{"list"}, ""},
		{[]string{"-data-dir", "/x", "list"}, "/x", []string{"list"}, ""},
		{[]string{"list", "--data-dir=/x", "--json"}, "/x", []string{"list", "--json"}, ""},
		{[]string{"--hidden", "--data-dir", "/a", "--data-dir", "/b"}, "/b", []string{"--hidden"}, ""},
		{[]string{"list", "--data-dir"}, "", nil, "cli.error.flag_needs_value"},
		{[]string{"--data-dir", " ", "list"}, "", nil, "cli.error.data_dir_empty"},
		{[]string{"--data-dir=", "list"}, "", nil, "cli.error.data_dir_empty"},
	} {
		dir, rest, err := SplitDataDir(tc.args)
		gotErr := ""
		if err != nil {
			gotErr = integration.AsProblem(err).Code
		}
		if dir != tc.wantDir || !slices.Equal(rest, tc.wantRest) || gotErr != tc.wantErr {
			t.Errorf("SplitDataDir(%q) = %q, %q, %q; want %q, %q, %q", tc.args, dir, rest, gotErr, tc.wantDir, tc.wantRest, tc.wantErr)
		}
	}
}

func TestIsCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, false}, {[]string{"--hidden"}, false}, {[]string{"--data-dir", "/x"}, false},
		{[]string{"list"}, true}, {[]string{"--help"}, true}, {[]string{"--data-dir", "/x", "check"}, true},
		{[]string{"-data-dir", "/x", "check"}, true}, {[]string{"--data-dir=/x", "--hidden"}, false},
		// The CLI says what is wrong with the flag.
		{[]string{"--data-dir"}, true}, {[]string{"--data-dir="}, true},
	} {
		if got := IsCommand(tc.args); got != tc.want {
			t.Errorf("IsCommand(%v): got %v; want %v", tc.args, got, tc.want)
		}
	}
}
