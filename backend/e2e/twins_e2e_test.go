package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"relink/backend/catalog"
	"relink/backend/integration"
	"relink/backend/internal/twins"
)

// casesDir holds each provider's documented failures (one file per
// provider id); the suite is driven by whatever is there.
const casesDir = "../catalog/testdata/dialects"

// twinAccessLifetime is shorter than Relink's refresh margin (10 min), so
// every check refreshes first and a token-endpoint case is always met.
const twinAccessLifetime = 5 * time.Minute

// providersAtOnce is how many providers' cases run side by side.
const providersAtOnce = 6

// twinSuite is what every provider's subtest shares: one binary, one
// keyring session, one proxy with one generic twin.
type twinSuite struct {
	rig     *twins.Rig
	twin    *twins.Generic
	own     map[string]twins.Twin // providers with a twin of their own
	setups  map[string]twins.Setup
	env     []string
	browser *fifoBrowser
}

// TestProviderTwins drives the real `relink` binary, reaching each
// catalogue provider's twin under the provider's real host name through
// HTTPS_PROXY and SSL_CERT_FILE: it adds the integration (OAuth through a
// browser played by the test, API keys on stdin), checks it is connected
// with the right account, then runs every documented failure case of that
// provider and compares what `relink check --json` says with the case's
// want.
func TestProviderTwins(t *testing.T) {
	needKeyring(t)
	build(t)
	start := time.Now()
	s := newTwinSuite(t)
	cases, err := twins.LoadCases(casesDir)
	if err != nil {
		t.Fatal(err)
	}
	for id := range cases {
		if _, ok := s.setups[id]; !ok {
			t.Errorf("fixtures for %q, which is not an OAuth or API-key provider of the catalogue", id)
		}
	}
	t.Run("providers", func(t *testing.T) {
		// More providers at once than -parallel (the core count) allows:
		// much of a case is Relink's own bounded wait before it re-probes a
		// transient failure, which costs no CPU. Most cases first.
		ids := sortedKeys(s.setups)
		slices.SortStableFunc(ids, func(a, b string) int { return len(cases[b]) - len(cases[a]) })
		sem := make(chan struct{}, providersAtOnce)
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				t.Run(id, func(t *testing.T) { s.runProvider(t, id, cases[id]) })
			}()
		}
		wg.Wait()
	})
	t.Run("extra CA instead of SSL_CERT_FILE", func(t *testing.T) {
		// The setting a corporate user gives: the system roots stay, the
		// gateway's CA is added.
		env := append(withoutCertFile(s.env), "RELINK_EXTRA_CA="+s.rig.CAFile())
		st := s.setups["stripe"]
		args, err := st.AddArgs("stripe-extra-ca", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		r := twinCLI(t, env, t.TempDir(), st.Secret+"\n", append(args, "--json")...)
		if v := decodeView(t, r); r.code != 0 || v.Status != string(integration.StatusConnected) {
			t.Errorf("add with RELINK_EXTRA_CA: exit %d %s %s; want connected", r.code, r.stdout, r.stderr)
		}
	})
	if errs := s.browser.errors(); len(errs) > 0 {
		t.Errorf("the browser met %d error(s), each one a user would see (no page from Relink, or an authorization request refused):\n%s", len(errs), strings.Join(errs, "\n"))
	}
	if u := s.rig.Unrouted(); len(u) > 0 {
		t.Errorf("Relink reached hosts no twin serves: %v (a catalogue endpoint the generic twin does not know?)", u)
	}
	t.Logf("provider twin suite: %d providers, %d cases, %v", len(s.setups), countCases(cases), time.Since(start).Round(time.Millisecond))
}

func newTwinSuite(t *testing.T) *twinSuite {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &twinSuite{setups: map[string]twins.Setup{}}
	for _, p := range cat.List() {
		if p.Kind == integration.KindDatabase {
			continue
		}
		st, err := twins.NewSetup(p)
		if err != nil {
			t.Fatal(err)
		}
		st.AccessLifetime = twinAccessLifetime
		s.setups[p.ID] = st
	}
	own := s.ownTwins()
	var generic []twins.Setup
	for _, id := range sortedKeys(s.setups) {
		if own[id] == nil {
			generic = append(generic, s.setups[id])
		}
	}
	if s.twin, err = twins.NewGeneric(nil, generic...); err != nil {
		t.Fatal(err)
	}
	s.rig = twins.Start(t)
	s.rig.Mount(s.twin)
	for _, tw := range own {
		s.rig.Mount(tw)
	}
	s.own = own
	s.browser = startFifoBrowser(t, s.rig, func(uri string) error {
		// What the desktop entry does for Relink's private-use scheme.
		out, err := exec.Command(bins.relink, uri).CombinedOutput()
		if err != nil {
			return fmt.Errorf("relink %s: %v: %s", uri, err, out)
		}
		return nil
	})
	s.env = append(append(os.Environ(), s.rig.Env()...), "BROWSER="+s.browser.script, "LANG=en_US.UTF-8", "LC_ALL=")
	return s
}

// ownTwins are twins of their own for providers whose health answer is
// not a who-am-I (Commerce Intelligence's update cycle), set up healthy,
// by provider id. They are not switched into fixture cases.
func (s *twinSuite) ownTwins() map[string]twins.Twin {
	export := s.setups["commerce-intelligence"]
	if export.Provider.ID == "" {
		return nil
	}
	id, _ := strconv.Atoi(export.Settings["ci_client_id"])
	// Its Data Import API (connect.rjmetrics.com) is a plain key check
	// the generic twin serves, with its fixture cases.
	ci := twins.NewCommerceIntelligence(id, export.Secret, "")
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	end := time.Now().Add(-2 * time.Hour).In(ny)
	ci.SetLastUpdate(&twins.UpdateJob{ID: 1, TypeID: 2, TypeName: "Full Update", Start: end.Add(-3 * time.Minute).Format(time.DateTime),
		End: end.Format(time.DateTime), StatusID: 4, StatusName: "Completed Successfully"}, end.Format("MST"))
	export.Account = export.Settings["ci_client_id"] // the client the update cycle names
	s.setups[export.Provider.ID] = export
	return map[string]twins.Twin{export.Provider.ID: onlyHosts{ci, []string{"api.rjmetrics.com"}}}
}

// onlyHosts mounts a twin for some of its hosts.
type onlyHosts struct {
	twins.Twin
	hosts []string
}

func (o onlyHosts) Hosts() []string { return o.hosts }

func (s *twinSuite) runProvider(t *testing.T, id string, cases []twins.Case) {
	st := s.setups[id]
	data := t.TempDir()
	name := "twin-" + id
	add := func(t *testing.T) {
		t.Helper()
		args, err := st.AddArgs(name, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		r := twinCLI(t, s.env, data, st.Secret+"\n", append(args, "--json")...)
		v := decodeView(t, r)
		if r.code != 0 || v.Status != string(integration.StatusConnected) || v.Account != st.Account {
			t.Fatalf("add %s: exit %d, %s as %q; want connected as %s\nstdout: %s\nstderr: %s", id, r.code, v.Status, v.Account, st.Account, r.stdout, r.stderr)
		}
	}
	add(t)
	if s.own[id] != nil && len(cases) > 0 {
		t.Fatalf("%s has a twin of its own, which the fixture cases cannot switch: give it a Switch like the generic twin's", id)
	}
	// Revocation ends the integration, so those cases come last.
	slices.SortStableFunc(cases, func(a, b twins.Case) int { return boolInt(a.At == twins.AtRevoke) - boolInt(b.At == twins.AtRevoke) })
	// last is the status the previous case left ("" right after adding).
	last := ""
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if !s.twin.Serves(id, c.At) {
				t.Skipf("%s has no %s endpoint in the catalogue: Relink never asks there, so %q cannot happen end to end", id, c.At, c.Name)
			}
			s.twin.Switch(id, nil)
			s.healthy(t, data, name, st, last)
			last = "unknown"
			s.twin.Switch(id, &c)
			defer s.twin.Switch(id, nil)
			if c.At == twins.AtRevoke {
				s.checkRemove(t, data, name, id, c)
				add(t)
				last = ""
				return
			}
			r := twinCLI(t, s.env, data, "", "check", name, "--json")
			var got []checkView
			json.Unmarshal([]byte(r.stdout), &got)
			if len(got) != 1 {
				t.Fatalf("check: exit %d, stdout %q, stderr %q; want one integration", r.code, r.stdout, r.stderr)
			}
			v := got[0]
			last = v.Status
			wantCode := 0
			if integration.NeedsAttention(integration.Status(c.Want.Status)) {
				wantCode = 3
			}
			if v.Status != c.Want.Status || v.Cause != c.Want.Cause || (c.Want.Problem != "" && v.problem() != c.Want.Problem) || r.code != wantCode {
				t.Errorf("%s %q (%s): relink check = exit %d, %s/%s/%s; want exit %d, %s/%s/%s",
					id, c.Name, c.Source, r.code, v.Status, v.Cause, v.problem(), wantCode, c.Want.Status, c.Want.Cause, c.Want.Problem)
			}
			if n := s.twin.Hits(id, c.At); n == 0 {
				t.Errorf("%s %q: Relink never reached the %s endpoint, so the case was not exercised", id, c.Name, c.At)
			}
		})
	}
}

// healthy makes sure the integration is connected before a case, given
// the status the last case left ("" when just added): a case that needed
// reauthorization is followed by one, as a user would; anything else by
// a check that sees the twin healthy again, so no unconfirmed failure
// carries over into the next case.
func (s *twinSuite) healthy(t *testing.T, data, name string, st twins.Setup, last string) {
	t.Helper()
	switch last {
	case "":
		return
	case string(integration.StatusNeedsReauth):
	default:
		if r := twinCLI(t, s.env, data, "", "check", name, "--json"); r.code == 0 {
			return
		}
	}
	args := []string{"reauth", name, "--json"}
	if st.Provider.OAuth == nil {
		args = append(args, "--secret-stdin")
	}
	r := twinCLI(t, s.env, data, st.Secret+"\n", args...)
	if v := decodeView(t, r); r.code != 0 || v.Status != string(integration.StatusConnected) {
		t.Fatalf("before the case, reauth: exit %d %s %s; want connected", r.code, r.stdout, r.stderr)
	}
}

// checkRemove runs a revocation case: the provider refusing to revoke
// must not keep the integration, and Relink says it could not revoke,
// with exit 3 (access stays valid at the provider: the user must act).
func (s *twinSuite) checkRemove(t *testing.T, data, name, id string, c twins.Case) {
	t.Helper()
	r := twinCLI(t, s.env, data, "", "remove", name, "--yes", "--json")
	var res struct {
		Revoked bool `json:"revoked"`
		Problem *struct {
			Code string `json:"code"`
		} `json:"problem"`
	}
	json.Unmarshal([]byte(r.stdout), &res)
	got := ""
	if res.Problem != nil {
		got = res.Problem.Code
	}
	if r.code != 3 || res.Revoked || (c.Want.Problem != "" && got != c.Want.Problem) {
		t.Errorf("%s %q (%s): relink remove = exit %d revoked=%v problem %q; want exit 3, revoked=false, problem %q",
			id, c.Name, c.Source, r.code, res.Revoked, got, c.Want.Problem)
	}
	if l := twinCLI(t, s.env, data, "", "list", "--json"); strings.TrimSpace(l.stdout) != "[]" {
		t.Errorf("after remove, list = %s; want it gone locally", l.stdout)
	}
}

type checkView struct {
	Status  string `json:"status"`
	Cause   string `json:"cause"`
	Account string `json:"account"`
	Problem *struct {
		Code string `json:"code"`
	} `json:"problem"`
}

func (v checkView) problem() string {
	if v.Problem == nil {
		return ""
	}
	return v.Problem.Code
}

func decodeView(t *testing.T, r cliResult) checkView {
	t.Helper()
	var v checkView
	json.Unmarshal([]byte(r.stdout), &v)
	return v
}

// twinCLI runs the real binary with env (the proxy, the CA, the browser),
// ending it after a minute: an authorization the twin refused would keep
// Relink waiting for its callback for minutes.
func twinCLI(t *testing.T, env []string, dataDir, stdin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return runRelink(t, ctx, env, dataDir, stdin, args...)
}

// fifoBrowser plays the user's browser: $BROWSER writes the URL Relink
// opens into a FIFO, and the test opens it through the rig (proxy and CA)
// and follows the twin's redirects to Relink's loopback callback, which
// stays direct. A redirect to another scheme goes to the OS's handler for
// it, openOther.
type fifoBrowser struct {
	script string
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []string
}

func (b *fifoBrowser) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errs = append(b.errs, err.Error())
}

// errors waits for the pages being loaded and returns what went wrong: a
// user's browser would have shown an error instead of Relink's page.
func (b *fifoBrowser) errors() []string {
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.errs)
}

func startFifoBrowser(t *testing.T, rig *twins.Rig, openOther func(uri string) error) *fifoBrowser {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "urls")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Read-write, so the FIFO never reports end of file between writers.
	f, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := &fifoBrowser{script: filepath.Join(dir, "browser")}
	// One line per URL: a write under PIPE_BUF is atomic, so parallel
	// relink processes do not interleave.
	body := "#!/bin/sh\nprintf '%s\\n' \"$1\" > " + fifo + "\n"
	if err := os.WriteFile(b.script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	client := rig.Client()
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	go func() {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			u := sc.Text()
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				resp, err := client.Get(u)
				if err != nil {
					b.fail(err)
					return
				}
				body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
				resp.Body.Close()
				switch {
				case err != nil:
					b.fail(fmt.Errorf("reading %s: %w", u, err))
				case resp.StatusCode >= 400:
					// A refused authorization request (a redirect URI the
					// app did not register…) leaves Relink waiting.
					b.fail(fmt.Errorf("%s answered %d: %s", resp.Request.URL.Host, resp.StatusCode, strings.TrimSpace(string(body))))
				}
				if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode/100 == 3 {
					if err := openOther(loc); err != nil {
						b.fail(err)
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { f.Close(); b.wg.Wait() })
	return b
}

func withoutCertFile(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "SSL_CERT_FILE=") })
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func countCases(cs map[string][]twins.Case) int {
	n := 0
	for _, c := range cs {
		n += len(c)
	}
	return n
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
