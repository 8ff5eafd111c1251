package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/creack/pty"
	"github.com/mattn/go-runewidth"

	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/services"
	"relink/backend/store"
)

// The tests in this file are issue 19's points, each by number: answers
// that are true, errors that say what to do.

// forbiddenServer accepts the key but answers 403: the integration works
// with reduced privileges (degraded).
func forbiddenServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (h *harness) listJSON() []services.IntegrationView {
	h.t.Helper()
	_, out, _ := h.run("", "list", "--json")
	var views []services.IntegrationView
	if err := json.Unmarshal([]byte(out), &views); err != nil {
		h.t.Fatalf("list --json: %v: %s", err, out)
	}
	return views
}

// setState writes a stored status and cause directly, as an earlier check
// in another process would have.
func (h *harness) setState(name string, st integration.Status, cause integration.Cause, p *integration.Problem) {
	h.t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(h.dir, store.DBFile))
	if err != nil {
		h.t.Fatal(err)
	}
	defer s.Close()
	in, err := s.FindIntegration(ctx, name)
	if err != nil {
		h.t.Fatal(err)
	}
	in.Status, in.Cause, in.Problem = st, cause, p
	if err := s.UpdateIntegration(ctx, in); err != nil {
		h.t.Fatal(err)
	}
}

// 3. `token` fails with the integration's real cause and never rewrites it.
func TestTokenFailsWithTheStoredCause(t *testing.T) {
	t.Run("API key that needs reauthorization", func(t *testing.T) {
		h := newHarness(t)
		srv, setKey := keyServer(t)
		h.run("k1\n", "add", "custom-api-key", "--name", "ops", "--set", "test_url="+srv.URL, "--secret-stdin")
		setKey("k2")
		if code, _, _ := h.run("", "check"); code != ExitAttention {
			t.Fatalf("check after rotation: exit %d; want 3", code)
		}
		code, out, errs := h.run("", "token", "ops")
		if code != ExitAttention || out != "" || !strings.Contains(errs, "needs reauthorization") || !strings.Contains(errs, "expired") {
			t.Errorf("token: exit %d, stdout %q, stderr %q; want 3, nothing printed, the stored reason", code, out, errs)
		}
	})
	t.Run("OAuth whose access was revoked", func(t *testing.T) {
		h := newHarness(t)
		if code, _, errs := h.run("", "add", "custom-oauth2", "--name", "crm", "--set", "issuer=http://127.0.0.1:9", "--set", "client_id=relink", "--no-auth"); code != ExitOK {
			t.Fatalf("add --no-auth: exit %d %s", code, errs)
		}
		h.setState("crm", integration.StatusNeedsReauth, integration.CauseAccessRevoked, integration.NewProblem("problem.access_revoked"))
		code, out, errs := h.run("", "token", "crm")
		if code != ExitAttention || out != "" || !strings.Contains(errs, "revoked") || strings.Contains(errs, "expired") {
			t.Errorf("token: exit %d, stdout %q, stderr %q; want 3 saying access was revoked", code, out, errs)
		}
		if v := h.listJSON(); len(v) != 1 || v[0].Cause != integration.CauseAccessRevoked {
			t.Errorf("after token the stored cause is %q; want access_revoked kept", v[0].Cause)
		}
	})
}

// 4. `add` exits 3 when the new integration needs attention.
func TestAddExitsThreeWhenTheResultNeedsAttention(t *testing.T) {
	h := newHarness(t)
	srv := forbiddenServer(t)
	code, out, errs := h.run("k1\n", "add", "custom-api-key", "--name", "reports", "--set", "test_url="+srv.URL, "--secret-stdin")
	if code != ExitAttention || !strings.Contains(out, "Degraded") {
		t.Errorf("add of a degraded integration: exit %d, %q %q; want 3", code, out, errs)
	}
	if v := h.listJSON(); len(v) != 1 || v[0].Status != integration.StatusDegraded {
		t.Errorf("want it saved as degraded: %+v", v)
	}
}

// 5. Removing one integration while `check` runs: the rest are reported.
func TestCheckSkipsAnIntegrationRemovedMeanwhile(t *testing.T) {
	h := newHarness(t)
	var once sync.Once
	var checking atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if checking.Load() && r.Header.Get("Authorization") == "Bearer kb" {
			// While "b" is being checked, another process removes "a".
			once.Do(func() {
				if code, _, errs := h.run("", "remove", "a", "--yes"); code != ExitOK {
					t.Errorf("remove during check: exit %d %s", code, errs)
				}
			})
		}
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	for _, n := range []string{"a", "b"} {
		if code, _, errs := h.run("k"+n+"\n", "add", "custom-api-key", "--name", n, "--set", "test_url="+srv.URL, "--secret-stdin"); code != ExitOK {
			t.Fatalf("add %s: exit %d %s", n, code, errs)
		}
	}
	checking.Store(true)
	code, out, errs := h.run("", "check", "--json")
	var views []services.IntegrationView
	json.Unmarshal([]byte(out), &views)
	if v := h.listJSON(); len(v) != 1 {
		t.Fatalf("a was not removed during the check: %+v", v)
	}
	if code != ExitOK || len(views) != 1 || views[0].Name != "b" || errs != "" {
		t.Errorf("check: exit %d, %s, stderr %q; want 0 reporting only b", code, out, errs)
	}
}

// 7. On a terminal, check shows on stderr which integration it checks;
// --json and a pipe stay clean.
func TestCheckShowsProgressOnATerminalOnly(t *testing.T) {
	h := newHarness(t)
	srv, _ := keyServer(t)
	h.run("k1\n", "add", "custom-api-key", "--name", "billing", "--set", "test_url="+srv.URL, "--secret-stdin")
	for _, tc := range []struct {
		name string
		args []string
		want bool
	}{
		{"table", []string{"check"}, true},
		{"json", []string{"check", "--json"}, false},
	} {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skip("no pty:", err)
		}
		var out bytes.Buffer
		code := h.runWith(strings.NewReader(""), &out, tty, tc.args...)
		tty.Close()
		got, _ := io.ReadAll(ptmx)
		ptmx.Close()
		if code != ExitOK {
			t.Fatalf("%s: exit %d", tc.name, code)
		}
		if shown := strings.Contains(string(got), "Checking “billing”"); shown != tc.want {
			t.Errorf("%s: progress on the terminal = %v (%q); want %v", tc.name, shown, got, tc.want)
		}
		if strings.Contains(out.String(), "Checking") {
			t.Errorf("%s: progress leaked into stdout: %q", tc.name, out.String())
		}
	}
	if _, _, errs := h.run("", "check"); errs != "" {
		t.Errorf("check into a pipe wrote %q on stderr; want nothing", errs)
	}
}

// 9. `edit` changes settings as `add` validates them; secrets are refused
// with the way to change them.
func TestEditChangesSettingsValidatedLikeAdd(t *testing.T) {
	h := newHarness(t)
	srv, _ := keyServer(t)
	h.run("k1\n", "add", "custom-api-key", "--name", "ops", "--set", "test_url="+srv.URL+"/old", "--secret-stdin")
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"invalid value", []string{"--set", "test_url=ftp://x"}, ExitUsage, "https://"},
		{"unknown setting", []string{"--set", "bogus=1"}, ExitUsage, "bogus is not a setting"},
		{"secret field", []string{"--set", "api_key=zzz"}, ExitUsage, "relink reauth ops --secret-stdin"},
		{"nothing to change", nil, ExitUsage, "--set KEY=VALUE"},
	} {
		code, _, errs := h.run("", append([]string{"edit", "ops"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.msg) || strings.Contains(errs, "zzz") {
			t.Errorf("%s: exit %d, %q; want %d containing %q (and never the secret)", tc.name, code, errs, tc.code, tc.msg)
		}
	}
	if code, _, errs := h.run("", "edit", "ops", "--set", "test_url="+srv.URL+"/new"); code != ExitOK {
		t.Fatalf("edit: exit %d %s", code, errs)
	}
	if v := h.listJSON(); v[0].Settings["test_url"] != srv.URL+"/new" {
		t.Errorf("after edit test_url = %q", v[0].Settings["test_url"])
	}
}

// 9. A failed OAuth add names the way out: edit the settings, or remove.
func TestFailedOAuthAddNamesTheWayOut(t *testing.T) {
	h := newHarness(t)
	// A typo in the issuer: nothing answers there.
	args := []string{"add", "custom-oauth2", "--name", "crm 1", "--set", "issuer=http://127.0.0.1:9", "--set", "client_id=relink", "--no-browser"}
	code, _, errs := h.run("", args...)
	for _, want := range []string{"not authorized yet", "relink edit 'crm 1' --set", "relink reauth 'crm 1'", "relink remove 'crm 1'"} {
		if !strings.Contains(errs, want) {
			t.Errorf("failed add: exit %d, stderr %q lacks %q", code, errs, want)
		}
	}
	code, _, errs = h.run("", "reauth", "crm 1", "--no-browser")
	if code == ExitOK || !strings.Contains(errs, "relink edit 'crm 1'") || !strings.Contains(errs, "relink remove 'crm 1'") {
		t.Errorf("failed reauth: exit %d, stderr %q; want the way out", code, errs)
	}
}

// 10. Tables say what is wrong, with the problem's params, under the row.
func TestTablesShowTheProblemSentence(t *testing.T) {
	h := newHarness(t)
	srv := forbiddenServer(t)
	h.run("k1\n", "add", "custom-api-key", "--name", "reports", "--set", "test_url="+srv.URL, "--secret-stdin")
	h.run("", "add", "custom-oauth2", "--name", "crm", "--set", "issuer=http://127.0.0.1:9", "--set", "client_id=relink", "--no-auth")
	h.setState("crm", integration.StatusDegraded, integration.CauseAccountChange, integration.NewProblem("problem.missing_scopes", "scopes", "analytics.read"))
	for _, args := range [][]string{{"list"}, {"check", "reports"}, {"history"}} {
		_, out, _ := h.run("", args...)
		if !strings.Contains(out, "↳ ") || !strings.Contains(out, "↳ The account no longer has all the permissions it needs.") {
			t.Errorf("%v: no problem sentence under the degraded row:\n%s", args, out)
		}
	}
	if _, out, _ := h.run("", "list"); !strings.Contains(out, "analytics.read") {
		t.Errorf("list does not name the missing scope:\n%s", out)
	}
}

// 11. Relink's own path errors: one sentence in the user's language naming
// the path and what to do; never Go's text inside "inside Relink".
func TestDiagnosticsPathErrorsSayWhatToDo(t *testing.T) {
	h := newHarness(t)
	h.lang = "es_ES.UTF-8"
	dir := t.TempDir()
	for _, tc := range []struct {
		name, out, want string
	}{
		{"an existing folder", dir, dir + " es una carpeta"},
		{"into a missing folder", filepath.Join(dir, "nope", "d.zip"), "la carpeta " + filepath.Join(dir, "nope") + " no existe"},
	} {
		code, _, errs := h.run("", "diagnostics", "-o", tc.out)
		if code != ExitUsage || !strings.Contains(errs, tc.want) || strings.Contains(errs, "Relink (") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: exit %d, %q; want 2 with %q in one line", tc.name, code, errs, tc.want)
		}
	}
	// -o - is the zip on stdout, not a file named "-".
	code, out, errs := h.run("", "diagnostics", "-o", "-")
	if code != ExitOK || !strings.HasPrefix(out, "PK") {
		t.Errorf("diagnostics -o -: exit %d, %q; want a zip on stdout", code, errs)
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error(`diagnostics -o - wrote a file named "-"`)
	}
}

// 11. A read-only data folder is said once, with what to do.
func TestReadOnlyDataSaidOnce(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes anywhere")
	}
	h := newHarness(t)
	h.run("", "list")
	os.Chmod(h.dir, 0o500)
	t.Cleanup(func() { os.Chmod(h.dir, 0o700) })
	code, _, errs := h.run("", "check")
	if code == ExitOK || strings.Count(errs, "\n") != 1 {
		t.Errorf("check on read-only data: exit %d, %q; want one sentence", code, errs)
	}
}

// 12. The smaller rules, each one line.
func TestSmallerCLIRules(t *testing.T) {
	h := newHarness(t)
	srv, _ := keyServer(t)
	key := filepath.Join(t.TempDir(), "key")
	os.WriteFile(key, []byte("a file for the test\n"), 0o600)
	h.run("k1\n", "add", "custom-api-key", "--name", "ops", "--set", "test_url="+srv.URL, "--secret-stdin")
	pg := []string{"add", "postgres", "--name", "wh", "--set", "host=127.0.0.1", "--set", "database=d", "--set", "user=u", "--secret-stdin"}
	for _, tc := range []struct {
		name  string
		lang  string
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"unknown --secret-file field is named", "", "k1\n", []string{"add", "custom-api-key", "--name", "x", "--set", "test_url=" + srv.URL, "--secret-stdin", "--secret-file", "bogus=" + key}, ExitUsage, "bogus"},
		{"port says its range", "", "pw\n", append(pg, "--set", "port=99999"), ExitUsage, "between 1 and 65535"},
		{"stdin says its limit", "", strings.Repeat("k", 1<<16+2), []string{"reauth", "ops", "--secret-stdin"}, ExitUsage, "at most 64 KB"},
		{"history --since in days", "", "", []string{"history", "--since", "7d"}, ExitOK, ""},
		{"history --since in weeks", "", "", []string{"history", "--since", "2w"}, ExitOK, ""},
		{"history --since nonsense", "", "", []string{"history", "--since", "7x"}, ExitUsage, "7d"},
		{"unknown integration is a usage error", "", "", []string{"check", "ghost"}, ExitUsage, "ghost"},
		{"flag errors in Spanish", "es_ES.UTF-8", "", []string{"list", "--frob"}, ExitUsage, "opción desconocida --frob"},
		{"bad flag value in Spanish", "es_ES.UTF-8", "", []string{"history", "--limit", "x"}, ExitUsage, "--limit no puede ser «x»"},
		{"no terminal, no --yes: a piped y is refused", "", "y\n", []string{"remove", "ops"}, ExitUsage, "--yes"},
		{"empty --data-dir refused", "", "", []string{"--data-dir", "", "list"}, ExitUsage, "--data-dir"},
	} {
		h.lang = "en_US.UTF-8"
		if tc.lang != "" {
			h.lang = tc.lang
		}
		code, _, errs := h.run(tc.stdin, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) || tc.msg == "" && errs != "" {
			t.Errorf("%s: exit %d, %q; want %d with %q", tc.name, code, errs, tc.code, tc.msg)
		}
	}
	// /dev/null is a character device but no terminal: the same rule.
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	var errb bytes.Buffer
	if code := h.runWith(devNull, io.Discard, &errb, "remove", "ops"); code != ExitUsage || !strings.Contains(errb.String(), "--yes") {
		t.Errorf("remove </dev/null: exit %d, %q; want 2 asking for --yes", code, errb.String())
	}
	h.lang = "es_ES.UTF-8"
	if _, out, _ := h.run("", "add", "--help"); !strings.Contains(out, "PROVEEDOR --name NOMBRE") || strings.Contains(out, "default") {
		t.Errorf("add --help under LANG=es:\n%s", out)
	}
	if v := h.listJSON(); len(v) != 1 {
		t.Errorf("a refused remove removed it: %+v", v)
	}
}

// 12. `add … --no-auth` saves a database that is down without connecting.
func TestAddNoAuthSavesWithoutVerifying(t *testing.T) {
	h := newHarness(t)
	code, _, errs := h.run("pw\n", "add", "postgres", "--name", "wh", "--set", "host=127.0.0.1", "--set", "port=9", "--set", "database=d", "--set", "user=u", "--secret-stdin", "--no-auth")
	if code != ExitOK {
		t.Fatalf("add --no-auth of a database that is down: exit %d %s", code, errs)
	}
	if v := h.listJSON(); len(v) != 1 || v[0].Status != integration.StatusChecking || v[0].LastChecked != nil {
		t.Errorf("saved as %+v; want unchecked, claiming nothing", v)
	}
}

// 12. History keeps codes in params, never a rendered sentence.
func TestHistoryParamsKeepCodes(t *testing.T) {
	h := newHarness(t)
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	h.run("k1\n", "add", "custom-api-key", "--name", "ops", "--set", "test_url="+srv.URL, "--secret-stdin")
	down.Store(true)
	// The new key cannot be verified while the provider is down.
	_, _, errs := h.run("k2\n", "reauth", "ops", "--secret-stdin")
	_, out, _ := h.run("", "history", "--json")
	var evs []integration.Event
	json.Unmarshal([]byte(out), &evs)
	found := false
	for _, e := range evs {
		if e.Message != "error.secret_unverified" {
			continue
		}
		found = true
		if p := e.Params["problem"]; !strings.HasPrefix(p, "problem.") {
			t.Errorf("params = %v; want problem=<a problem code>", e.Params)
		}
		for k, v := range e.Params {
			if strings.Contains(v, " ") {
				t.Errorf("param %s holds a sentence: %q", k, v)
			}
		}
	}
	if !found {
		t.Fatalf("no error.secret_unverified event in %s", out)
	}
	if !strings.Contains(errs, "could not be verified: The provider") {
		t.Errorf("the sentence is still whole for people: %q", errs)
	}
}

// 13. Names: NFC, no invisible or bidi characters, aligned by display width.
func TestNamesAreNormalisedAndVisible(t *testing.T) {
	h := newHarness(t)
	srv, _ := keyServer(t)
	add := func(name string) (int, string) {
		code, _, errs := h.run("k1\n", "add", "custom-api-key", "--name", name, "--set", "test_url="+srv.URL, "--secret-stdin")
		return code, errs
	}
	if code, errs := add("caf\u00e9"); code != ExitOK {
		t.Fatalf("add café: %d %s", code, errs)
	}
	if code, errs := add("cafe\u0301"); code != ExitUsage || !strings.Contains(errs, "already exists") {
		t.Errorf("café in NFD: exit %d %q; want the same name as NFC", code, errs)
	}
	if code, _, _ := h.run("", "token", "cafe\u0301"); code != ExitOK {
		t.Errorf("token by the NFD name: exit %d; want it found", code)
	}
	for _, name := range []string{"ops\u200b", "\ufeffops", "evil\u202egnp.exe", "a\u2066b", "x\u200dy"} {
		if code, errs := add(name); code != ExitUsage || !strings.Contains(errs, "invisible") || !strings.Contains(errs, "U+") {
			t.Errorf("add %+q: exit %d %q; want 2 naming the character", name, code, errs)
		}
	}
	if code, errs := add("🚀 launch 👩\u200d💻"); code != ExitOK {
		t.Errorf("an emoji name with a joiner inside the emoji: exit %d %s", code, errs)
	}
	_, out, _ := h.run("", "list")
	col := -1
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		i := strings.Index(line, "custom-api-key")
		if i < 0 {
			continue
		}
		if w := runewidth.StringWidth(line[:i]); col < 0 {
			col = w
		} else if w != col {
			t.Errorf("provider column starts at width %d; want %d:\n%s", w, col, out)
		}
	}
}

// An error Relink did not expect is said as the generic sentence, with the
// text a bug report needs on its own line; a known problem is one line.
func TestSayKeepsGoTextOutOfTheSentence(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    *integration.Problem
		want []string
	}{
		{"unexpected", integration.AsProblem(errors.New("sql: database is closed")), []string{
			"relink: " + cat.T("en", integration.CodeInternal, nil),
			"relink: Details for a bug report: sql: database is closed",
		}},
		{"known", integration.NewProblem("error.keychain_locked"), []string{
			"relink: The system keychain is locked. Unlock it and try again.",
		}},
	} {
		var b strings.Builder
		Say(&b, cat, "en", tc.p)
		if got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n"); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q; want %q", tc.name, got, tc.want)
		}
	}
}
