package oauth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"relink/backend/integration"
	"relink/backend/internal/testrig"
)

// relayBrowser follows the authorization request but not the redirect:
// deliver gets the Location the provider sent (an https relay page or a
// private-use-scheme URI) and plays what happens next.
type relayBrowser struct {
	deliver func(location string)
}

func (b relayBrowser) Open(u string) error {
	go func() {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(u)
		if err != nil {
			return
		}
		resp.Body.Close()
		b.deliver(resp.Header.Get("Location"))
	}()
	return nil
}

func hasIPv6Loopback() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func TestRedirect_FixedPortSameURIEveryAttempt(t *testing.T) {
	as := newFakeAS(t)
	port := testrig.FreePort(t)
	uri := "http://localhost:" + strconv.Itoa(port) + "/callback"
	for i := range 2 {
		var bound string
		_, err := Authorize(context.Background(), Request{Config: as.config(), Opener: &browser{}, Timeout: 5 * time.Second,
			Redirect: Redirect{URI: uri, Host: "localhost", Port: port}, OnListening: func(r string) { bound = r }})
		if err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if bound != uri {
			t.Errorf("attempt %d: redirect %q; want %q", i, bound, uri)
		}
	}
	for i, got := range append(as.authRedirects, as.tokenRedirect...) {
		if got != uri {
			t.Errorf("request %d sent redirect_uri %q; want %q on every attempt", i, got, uri)
		}
	}
}

func TestRedirect_LocalhostAnyPortBindsBothStacks(t *testing.T) {
	as := newFakeAS(t)
	var seen []string
	br := &browser{before: func(authURL string) {
		u, _ := url.Parse(authURL)
		r, _ := url.Parse(u.Query().Get("redirect_uri"))
		seen = append(seen, r.Hostname())
		if hasIPv6Loopback() && !dialable(net.JoinHostPort("::1", r.Port())) {
			t.Errorf("[::1]:%s not listening; the browser may try it first", r.Port())
		}
		if !dialable(net.JoinHostPort("127.0.0.1", r.Port())) {
			t.Errorf("127.0.0.1:%s not listening", r.Port())
		}
	}}
	if _, err := Authorize(context.Background(), Request{Config: as.config(), Opener: br, Timeout: 5 * time.Second,
		Redirect: Redirect{Host: "localhost"}}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != "localhost" {
		t.Errorf("redirect hosts %v; want [localhost]", seen)
	}
}

func TestRedirect_BusyFixedPortNamesIt(t *testing.T) {
	as := newFakeAS(t)
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "tcp6" {
				if !hasIPv6Loopback() {
					t.Skip("no IPv6 loopback")
				}
				addr = "[::1]:0"
			}
			other, err := net.Listen(network, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			port := other.Addr().(*net.TCPAddr).Port
			_, err = Authorize(context.Background(), Request{Config: as.config(), Opener: &browser{}, Timeout: 5 * time.Second,
				Redirect: Redirect{URI: "http://localhost:" + strconv.Itoa(port) + "/callback", Host: "localhost", Port: port}})
			var p *integration.Problem
			if !errors.Is(err, ErrPortBusy) || !errors.As(err, &p) || p.Code != "error.oauth_port_busy" || p.Params["port"] != strconv.Itoa(port) {
				t.Errorf("Authorize on busy port %d = %v; want error.oauth_port_busy naming it", port, err)
			}
		})
	}
	if len(as.authRedirects) != 0 {
		t.Errorf("authorization requests %d; want none while the port is busy", len(as.authRedirects))
	}
}

func TestRedirect_HTTPSRelayForwardsToLoopback(t *testing.T) {
	as := newFakeAS(t)
	port := testrig.FreePort(t)
	const relay = "https://relay.example/relink/callback"
	br := relayBrowser{deliver: func(loc string) {
		u, _ := url.Parse(loc)
		if u.Scheme+"://"+u.Host+u.Path != relay {
			t.Errorf("provider redirected to %q; want the relay page", loc)
		}
		// The relay page forwards the whole query; a forged one first.
		for _, q := range []string{"code=forged&state=wrong", u.RawQuery} {
			if resp, err := http.Get("http://localhost:" + strconv.Itoa(port) + "/callback?" + q); err == nil {
				resp.Body.Close()
			}
		}
	}}
	tok, err := Authorize(context.Background(), Request{Config: as.config(), Opener: br, Timeout: 5 * time.Second,
		Redirect: Redirect{URI: relay, Host: "localhost", Port: port}})
	if err != nil || tok.AccessToken != "at-1" {
		t.Fatalf("Authorize through relay = %v, %v", tok, err)
	}
	if as.tokenRedirect[0] != relay {
		t.Errorf("token request redirect_uri %q; want the registered relay %q", as.tokenRedirect[0], relay)
	}
}

func TestRedirect_PrivateSchemeHandoff(t *testing.T) {
	as := newFakeAS(t)
	h := Handoff{Dir: t.TempDir() + "/callbacks"}
	const uri = "io.relink.app:/callback"
	forwarded := make(chan error, 2)
	var last string
	br := relayBrowser{deliver: func(loc string) {
		last = loc
		// What `relink io.relink.app:/callback?…` does in a new process.
		forwarded <- h.Forward(context.Background(), http.DefaultClient, "io.relink.app", "io.relink.app:/callback?state=unknown&code=x")
		forwarded <- h.Forward(context.Background(), http.DefaultClient, "io.relink.app", loc)
	}}
	tok, err := Authorize(context.Background(), Request{Config: as.config(), Opener: br, Timeout: 5 * time.Second,
		Redirect: Redirect{URI: uri, Handoff: h.Publish}})
	if err != nil || tok.AccessToken != "at-1" {
		t.Fatalf("Authorize through the scheme = %v, %v", tok, err)
	}
	if err := <-forwarded; !errors.Is(err, ErrNoAttempt) {
		t.Errorf("Forward(unknown state) = %v; want ErrNoAttempt", err)
	}
	if err := <-forwarded; err != nil {
		t.Errorf("Forward(callback) = %v; want nil", err)
	}
	if as.authRedirects[0] != uri || as.tokenRedirect[0] != uri {
		t.Errorf("redirect_uri sent %q / %q; want %q", as.authRedirects[0], as.tokenRedirect[0], uri)
	}
	// The handoff is gone with the attempt.
	if err := h.Forward(context.Background(), http.DefaultClient, "io.relink.app", last); !errors.Is(err, ErrNoAttempt) {
		t.Errorf("Forward after the attempt = %v; want ErrNoAttempt", err)
	}
}
