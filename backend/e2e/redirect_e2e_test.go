package e2e

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"relink/backend/catalog"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/internal/testrig"
	"relink/backend/oauth"
	"relink/backend/services"
)

// TestRedirectURIsEndToEnd runs Relink against the sandbox in exact-match
// mode, the way Salesforce, HubSpot, Xero or Zendesk match redirect URIs:
// the registered fixed port works on every attempt, an unregistered one
// is refused by the provider, and the private-use scheme reaches the
// waiting attempt through the installed desktop entry and the real binary.
func TestRedirectURIsEndToEnd(t *testing.T) {
	needRig(t)
	port := testrig.FreePort(t)
	fixed := "http://localhost:" + strconv.Itoa(port) + "/callback"
	sb := startSandbox(t, "-exact-redirect", "-redirect-uri", fixed, "-redirect-uri", catalog.SchemeRedirectURI)
	r := newRig(t, sb, headlessBrowser{})
	ctx := context.Background()
	add := func(name, redirect string) services.IntegrationView {
		t.Helper()
		v, err := r.svc.Add(ctx, services.AddRequest{Provider: "custom-oauth2", Name: name, Settings: map[string]string{
			"issuer": sb.URL, "client_id": "relink", "scopes": "openid offline analytics.read", "redirect_uri": redirect}})
		if err != nil {
			t.Fatalf("add %s: %v", name, err)
		}
		if v.Redirect == nil || v.Redirect.Register != redirect {
			t.Fatalf("add %s: shows redirect %+v; want %s", name, v.Redirect, redirect)
		}
		return v
	}
	tokens := func() float64 {
		m, _ := sb.control(t, "counters", "")["tokenRequests"].(map[string]any)
		n, _ := m["authorization_code"].(float64)
		return n
	}

	t.Run("registered fixed port, on every attempt", func(t *testing.T) {
		v := add("Fixed port", fixed)
		for i := range 2 {
			got, err := r.reauth(t, v.ID, time.Minute)
			if err != nil || got.Status != integration.StatusConnected {
				t.Fatalf("attempt %d: %s, %v; want connected", i, got.Status, err)
			}
		}
	})

	t.Run("unregistered port is refused by the provider", func(t *testing.T) {
		// Another free port, not port+1: that one may be any process's.
		otherPort := testrig.FreePort(t)
		for otherPort == port {
			otherPort = testrig.FreePort(t)
		}
		other := "http://localhost:" + strconv.Itoa(otherPort) + "/callback"
		v := add("Other port", other)
		before := tokens()
		_, err := r.reauth(t, v.ID, 5*time.Second)
		if !errors.Is(err, oauth.ErrTimeout) {
			t.Fatalf("got %v; want a timeout (the provider shows its error page and never redirects)", err)
		}
		if after := tokens(); after != before {
			t.Errorf("code exchanges %v → %v; want none for an unregistered redirect", before, after)
		}
	})

	t.Run("private-use scheme through the desktop entry", func(t *testing.T) {
		if _, err := exec.LookPath("xdg-open"); err != nil {
			t.Skip("needs xdg-open (xdg-utils)")
		}
		v := add("Scheme", catalog.SchemeRedirectURI)
		runtimeDir := t.TempDir()
		os.Chmod(runtimeDir, 0o700)
		// Installed as a user would (make install): the desktop entry
		// claims io.relink.app:, and xdg-open starts `relink URI`.
		home := t.TempDir()
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_DATA_HOME=" + home + "/.local/share",
			"XDG_RUNTIME_DIR=" + runtimeDir, "RELINK_DATA_DIR=" + t.TempDir(), "TMPDIR=" + os.TempDir()}
		// xdg-open hands a URL to a desktop entry only in a graphical
		// session (it looks at DISPLAY); `relink URI` forwards and exits
		// without opening a window, so no X server is needed.
		if d := os.Getenv("DISPLAY"); d != "" {
			env = append(env, "DISPLAY="+d)
		} else {
			env = append(env, "DISPLAY=:0")
		}
		inst := exec.Command("../../build/linux/install-user.sh", bins.relink)
		inst.Env = env
		if out, err := inst.CombinedOutput(); err != nil {
			t.Fatalf("install-user.sh: %v\n%s", err, out)
		}
		q, _ := exec.Command("env", append(env, "xdg-mime", "query", "default", "x-scheme-handler/"+catalog.Scheme)...).Output()
		if strings.TrimSpace(string(q)) != "relink.desktop" {
			t.Fatalf("xdg-mime: %s: is handled by %q; want relink.desktop", catalog.Scheme, q)
		}
		cat, _ := catalog.Load()
		msgs, _ := i18n.Load()
		svc := services.New(services.Config{Store: r.store, Secrets: r.keys, Catalog: cat, I18n: msgs, DataDir: r.dataDir,
			Getenv: func(k string) string {
				if k == "XDG_RUNTIME_DIR" {
					return runtimeDir
				}
				return ""
			},
			// The browser: the provider answers with a redirect to
			// io.relink.app:…, which the desktop entry hands to `relink URI`.
			Opener: openerFunc(func(u string) error {
				go func() {
					c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
					resp, err := c.Get(u)
					if err != nil {
						t.Errorf("authorize: %v", err)
						return
					}
					resp.Body.Close()
					loc := resp.Header.Get("Location")
					if !strings.HasPrefix(loc, catalog.SchemeRedirectURI+"?") {
						t.Errorf("provider redirected to %q; want the private-use scheme", loc)
						return
					}
					cmd := exec.Command("xdg-open", loc)
					cmd.Env = env
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Errorf("xdg-open %s: %v: %s", loc, err, out)
					}
				}()
				return nil
			})})
		got, err := svc.Reauthorize(ctx, v.ID, services.ReauthOptions{Timeout: time.Minute})
		if err != nil || got.Status != integration.StatusConnected {
			t.Fatalf("got %s, %v; want connected through the scheme handoff", got.Status, err)
		}
		entries, _ := os.ReadDir(runtimeDir + "/relink-callbacks")
		if len(entries) != 0 {
			t.Errorf("%d handoff files left after the attempt; want 0", len(entries))
		}
	})
}
