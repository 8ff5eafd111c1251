package e2e

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"relink/backend/catalog"
	"relink/backend/cli"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/secrets"
	"relink/backend/services"
	"relink/backend/store"
)

type rig struct {
	svc     *services.Service
	store   *store.Store
	keys    *secrets.Keychain
	dataDir string
	sb      *sandbox
}

func newRig(t *testing.T, sb *sandbox, opener services.Opener) *rig {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, _ := catalog.Load()
	msgs, _ := i18n.Load()
	kc := secrets.New("relink", 5*time.Second)
	svc := services.New(services.Config{Store: st, Secrets: kc, Catalog: cat, I18n: msgs, Opener: opener, DataDir: dir})
	return &rig{svc: svc, store: st, keys: kc, dataDir: dir, sb: sb}
}

func (r *rig) add(t *testing.T, name string) services.IntegrationView {
	t.Helper()
	v, err := r.svc.Add(context.Background(), services.AddRequest{Provider: "custom-oauth2", Name: name, Settings: map[string]string{
		"issuer": r.sb.URL, "client_id": "relink", "scopes": "openid offline analytics.read"}})
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	return v
}

func (r *rig) reauth(t *testing.T, id string, timeout time.Duration) (services.IntegrationView, error) {
	t.Helper()
	return r.svc.Reauthorize(context.Background(), id, services.ReauthOptions{Timeout: timeout})
}

func (r *rig) check(t *testing.T, id string) services.IntegrationView {
	t.Helper()
	vs, err := r.svc.Check(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return vs[0]
}

func secretTool(id, slot string) string {
	out, _ := exec.Command("secret-tool", "lookup", "service", "relink", "username", id+"/"+slot).Output()
	return string(out)
}

func TestOAuthEndToEnd(t *testing.T) {
	needRig(t)
	sb := startSandbox(t)
	r := newRig(t, sb, headlessBrowser{})
	ctx := context.Background()
	v := r.add(t, "Sandbox Analytics")

	t.Run("full authorization", func(t *testing.T) {
		got, err := r.reauth(t, v.ID, time.Minute)
		if err != nil || got.Status != integration.StatusConnected || got.Account != "ana@example.com" {
			t.Fatalf("got %s/%q, %v; want connected as ana", got.Status, got.Account, err)
		}
		rt := secretTool(v.ID, secrets.SlotRefresh)
		if len(rt) < 20 {
			t.Fatalf("secret-tool sees %q; want the refresh token", rt)
		}
		for _, f := range []string{store.DBFile, store.DBFile + "-wal"} {
			b, _ := os.ReadFile(filepath.Join(r.dataDir, f))
			if bytes.Contains(b, []byte(rt)) {
				t.Errorf("%s contains the refresh token", f)
			}
		}
	})

	t.Run("forged callback first, then success", func(t *testing.T) {
		var forged int
		r2 := *r
		r2.svc = rebuild(t, r, headlessBrowser{before: func(u string) {
			redirect, _ := url.Parse(u)
			cb := redirect.Query().Get("redirect_uri")
			resp, err := http.Get(cb + "?code=forged&state=wrong")
			if err == nil {
				forged = resp.StatusCode
				resp.Body.Close()
			}
		}})
		got, err := r2.reauth(t, v.ID, time.Minute)
		if err != nil || got.Status != integration.StatusConnected || forged != 400 {
			t.Fatalf("got %s, %v, forged %d; want connected after a 400", got.Status, err, forged)
		}
	})

	t.Run("deny is a clear error", func(t *testing.T) {
		sb.control(t, "state", `{"denyNext":true}`)
		_, err := r.reauth(t, v.ID, time.Minute)
		var p *integration.Problem
		if !errors.Is(err, oauth.ErrDenied) || !errors.As(err, &p) || p.Code != "error.oauth_access_denied" {
			t.Fatalf("got %v; want access denied", err)
		}
	})

	t.Run("no callback times out and closes the port", func(t *testing.T) {
		var port string
		r2 := *r
		r2.svc = rebuild(t, r, openerFunc(func(u string) error {
			p, _ := url.Parse(u)
			cb, _ := url.Parse(p.Query().Get("redirect_uri"))
			port = cb.Host
			return nil
		}))
		_, err := r2.reauth(t, v.ID, 500*time.Millisecond)
		if !errors.Is(err, oauth.ErrTimeout) {
			t.Fatalf("got %v; want timeout", err)
		}
		if c, err := net.DialTimeout("tcp", port, 200*time.Millisecond); err == nil {
			c.Close()
			t.Errorf("port %s still open", port)
		}
	})

	t.Run("missing iss when advertised is refused", func(t *testing.T) {
		sb.control(t, "state", `{"omitIss":true}`)
		defer sb.control(t, "state", `{"omitIss":false}`)
		if _, err := r.reauth(t, v.ID, time.Minute); !errors.Is(err, oauth.ErrIssMismatch) {
			t.Fatalf("got %v; want iss refused", err)
		}
	})

	t.Run("metadata with another issuer is refused", func(t *testing.T) {
		other := strings.Replace(sb.URL, "127.0.0.1", "localhost", 1)
		bad, err := r.svc.Add(ctx, services.AddRequest{Provider: "custom-oauth2", Name: "Mismatch", Settings: map[string]string{"issuer": other, "client_id": "relink"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.reauth(t, bad.ID, time.Minute); !errors.Is(err, oauth.ErrIssuerMismatch) {
			t.Fatalf("got %v; want issuer mismatch", err)
		}
	})

	t.Run("expiry refreshes silently and stores the rotated token", func(t *testing.T) {
		before := secretTool(v.ID, secrets.SlotRefresh)
		n := sb.refreshCount(t)
		sb.control(t, "expire-tokens", "")
		if got := r.check(t, v.ID); got.Status != integration.StatusConnected {
			t.Fatalf("after expiry got %s %v; want connected", got.Status, got.Problem)
		}
		if sb.refreshCount(t) != n+1 {
			t.Errorf("refreshes: got %d; want %d", sb.refreshCount(t), n+1)
		}
		if after := secretTool(v.ID, secrets.SlotRefresh); after == before || after == "" {
			t.Errorf("rotated refresh token not stored")
		}
	})

	t.Run("fifty concurrent token requests, one refresh", func(t *testing.T) {
		sb.control(t, "expire-tokens", "")
		n := sb.refreshCount(t)
		// Make the cached token look expired so every caller needs a refresh.
		r.svc = rebuild(t, r, headlessBrowser{})
		r.keys.Set(ctx, v.ID, secrets.SlotAccess, `{"a":"stale","e":"2000-01-01T00:00:00Z"}`)
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if tok, err := r.svc.Token(ctx, v.ID); err != nil || tok == "stale" {
					t.Errorf("token: %v", err)
				}
			}()
		}
		wg.Wait()
		if got := sb.refreshCount(t) - n; got != 1 {
			t.Errorf("refresh requests at the server: got %d; want 1", got)
		}
	})

	t.Run("window and CLI refreshing at once, one refresh", func(t *testing.T) {
		sb.control(t, "expire-tokens", "")
		// The sandbox holds its answer back, so the two surely overlap.
		sb.control(t, "state", `{"replyDelayMs":300}`)
		defer sb.control(t, "state", `{"replyDelayMs":0}`)
		n := sb.refreshCount(t)
		r.svc = rebuild(t, r, headlessBrowser{})
		r.keys.Set(ctx, v.ID, secrets.SlotAccess, `{"a":"stale","e":"2000-01-01T00:00:00Z"}`)
		var window string
		var werr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			window, werr = r.svc.Token(ctx, v.ID)
		}()
		cliTok := relinkCLI(t, r.dataDir, "", "token", v.Name)
		<-done
		if werr != nil || cliTok.code != cli.ExitOK {
			t.Fatalf("window: %v; CLI: exit %d %s; want both to get a token", werr, cliTok.code, cliTok.stderr)
		}
		if got := sb.refreshCount(t) - n; got != 1 {
			t.Errorf("refresh requests at the server: got %d; want 1", got)
		}
		for who, tok := range map[string]string{"window": window, "CLI": strings.TrimSpace(cliTok.stdout)} {
			if got := tokenStatus(t, sb, tok); got != http.StatusOK {
				t.Errorf("%s token at /whoami: got %d; want 200", who, got)
			}
		}
	})

	t.Run("replayed refresh token revokes the family", func(t *testing.T) {
		old := secretTool(v.ID, secrets.SlotRefresh)
		r.keys.Set(ctx, v.ID, secrets.SlotAccess, `{"a":"stale","e":"2000-01-01T00:00:00Z"}`)
		r.svc = rebuild(t, r, headlessBrowser{})
		if _, err := r.svc.Token(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		// An attacker (or a crashed copy) replays the rotated-out token.
		resp, err := http.PostForm(sb.URL+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}, "client_id": {"relink"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatalf("replay accepted")
		}
		if got := r.check(t, v.ID); got.Status != integration.StatusNeedsReauth {
			t.Fatalf("after reuse got %s; want needs_reauth", got.Status)
		}
	})

	t.Run("revoked at the server: access_revoked", func(t *testing.T) {
		if _, err := r.reauth(t, v.ID, time.Minute); err != nil {
			t.Fatal(err)
		}
		sb.control(t, "revoke-user", `{}`)
		got := r.check(t, v.ID)
		if got.Status != integration.StatusNeedsReauth || got.Cause != integration.CauseAccessRevoked {
			t.Fatalf("got %s/%s; want needs_reauth/access_revoked", got.Status, got.Cause)
		}
		if secretTool(v.ID, secrets.SlotRefresh) != "" {
			t.Errorf("stale refresh token kept after invalid_grant")
		}
		sb.control(t, "reset", "")
	})

	t.Run("reduced scopes: degraded", func(t *testing.T) {
		if _, err := r.reauth(t, v.ID, time.Minute); err != nil {
			t.Fatal(err)
		}
		sb.control(t, "reduce-scopes", `{"remove":["analytics.read"]}`)
		got := r.check(t, v.ID)
		if got.Status != integration.StatusDegraded || len(got.MissingScopes) != 1 || got.MissingScopes[0] != "analytics.read" {
			t.Fatalf("got %s missing %v; want degraded missing analytics.read", got.Status, got.MissingScopes)
		}
		sb.control(t, "reduce-scopes", `{"remove":[]}`)
	})

	t.Run("outage: provider_issue, credentials kept, recovers", func(t *testing.T) {
		if got := r.check(t, v.ID); got.Status != integration.StatusConnected {
			t.Fatalf("before outage got %s", got.Status)
		}
		sb.control(t, "state", `{"outage":true}`)
		before := whoamiCount(t, sb)
		r.check(t, v.ID)
		got := r.check(t, v.ID)
		// Each check is one probe (no retry storm), and the next is backed off.
		if n := whoamiCount(t, sb) - before; n > 2 {
			t.Errorf("two checks during an outage made %d who-am-I requests; want at most 2", n)
		}
		in, _ := r.store.GetIntegration(ctx, v.ID)
		if gap := r.svc.NextDue(in, 15*time.Minute).Sub(in.LastChecked).Round(time.Second); gap != time.Minute {
			t.Errorf("next check after two failures in %v; want the 1 min backoff step", gap)
		}
		if got.Status != integration.StatusError || got.Cause != integration.CauseProviderIssue {
			t.Errorf("outage got %s/%s; want error/provider_issue", got.Status, got.Cause)
		}
		if secretTool(v.ID, secrets.SlotRefresh) == "" {
			t.Errorf("credentials dropped during an outage")
		}
		sb.control(t, "state", `{"outage":false}`)
		if got := r.check(t, v.ID); got.Status != integration.StatusConnected {
			t.Errorf("after outage got %s; want connected", got.Status)
		}
	})

	t.Run("remove revokes and deletes the keychain items", func(t *testing.T) {
		res, err := r.svc.Remove(ctx, v.ID)
		if err != nil || !res.Revoked {
			t.Fatalf("remove: %+v %v", res, err)
		}
		if secretTool(v.ID, secrets.SlotRefresh) != "" || secretTool(v.ID, secrets.SlotAccess) != "" {
			t.Errorf("keychain items left")
		}
	})
}

func whoamiCount(t *testing.T, sb *sandbox) int {
	c := sb.control(t, "counters", "")
	n, _ := c["whoamiRequests"].(float64)
	return int(n)
}

type openerFunc func(string) error

func (f openerFunc) Open(u string) error { return f(u) }

// rebuild makes a fresh service over the same store and keychain (a new
// process, as far as caches go).
func rebuild(t *testing.T, r *rig, opener services.Opener) *services.Service {
	cat, _ := catalog.Load()
	msgs, _ := i18n.Load()
	return services.New(services.Config{Store: r.store, Secrets: r.keys, Catalog: cat, I18n: msgs, Opener: opener, DataDir: r.dataDir})
}
