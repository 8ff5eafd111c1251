package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"relink/backend/integration"
)

// fakeAS is a minimal authorization server for protocol tests; the real
// end-to-end runs against the fosite sandbox.
type fakeAS struct {
	*httptest.Server
	mu            sync.Mutex
	challenges    []string
	methods       []string
	authRedirects []string
	tokenRedirect []string
	tokenCalls    int
	deny          bool
	omitIss       bool
	wrongIss      bool
}

func newFakeAS(t *testing.T) *fakeAS {
	as := &fakeAS{}
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		as.mu.Lock()
		as.challenges = append(as.challenges, q.Get("code_challenge"))
		as.methods = append(as.methods, q.Get("code_challenge_method"))
		as.authRedirects = append(as.authRedirects, q.Get("redirect_uri"))
		deny, omit, wrong := as.deny, as.omitIss, as.wrongIss
		as.mu.Unlock()
		v := url.Values{"state": {q.Get("state")}}
		if deny {
			v.Set("error", "access_denied")
		} else {
			v.Set("code", "code-"+q.Get("code_challenge"))
		}
		switch {
		case wrong:
			v.Set("iss", "https://evil.example")
		case !omit:
			v.Set("iss", as.URL)
		}
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+v.Encode(), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		as.mu.Lock()
		as.tokenCalls++
		as.tokenRedirect = append(as.tokenRedirect, r.Form.Get("redirect_uri"))
		as.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.Form.Get("grant_type") {
		case "authorization_code":
			sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
			if "code-"+base64.RawURLEncoding.EncodeToString(sum[:]) != r.Form.Get("code") {
				w.WriteHeader(400)
				io.WriteString(w, `{"error":"invalid_grant","error_description":"PKCE verification failed"}`)
				return
			}
			io.WriteString(w, `{"access_token":"at-1","refresh_token":"rt-1","token_type":"Bearer","expires_in":3600,"scope":"openid analytics.read","refresh_token_expires_in":86400}`)
		case "refresh_token":
			if r.Form.Get("refresh_token") == "revoked" {
				w.WriteHeader(400)
				io.WriteString(w, `{"error":"invalid_grant","error_description":"token revoked"}`)
				return
			}
			if r.Form.Get("refresh_token") == "outage" {
				w.WriteHeader(503)
				io.WriteString(w, `service unavailable`)
				return
			}
			io.WriteString(w, `{"access_token":"at-2","token_type":"Bearer","expires_in":60}`)
		}
	})
	as.Server = httptest.NewServer(mux)
	t.Cleanup(as.Close)
	return as
}

func (as *fakeAS) config() Config {
	return Config{ClientID: "relink", AuthURL: as.URL + "/authorize", TokenURL: as.URL + "/token", Scopes: []string{"openid"}, Issuer: as.URL, IssSupported: true}
}

// browser follows the authorization URL like a user's browser would.
type browser struct {
	before func(authURL string)
	mu     sync.Mutex
	pages  []string
}

func (b *browser) Open(u string) error {
	go func() {
		if b.before != nil {
			b.before(u)
		}
		resp, err := http.Get(u)
		if err != nil {
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b.mu.Lock()
		b.pages = append(b.pages, string(body))
		b.mu.Unlock()
	}()
	return nil
}

func TestAuthorize_FullFlow(t *testing.T) {
	as := newFakeAS(t)
	br := &browser{}
	tok, err := Authorize(context.Background(), Request{Config: as.config(), Opener: br, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if tok.AccessToken != "at-1" || tok.RefreshToken != "rt-1" || strings.Join(tok.Scopes, " ") != "openid analytics.read" || tok.RefreshExpiry.IsZero() {
		t.Errorf("token got %+v", tok)
	}
}

func TestLoopbackListener_BindsOnlyLoopback(t *testing.T) {
	as := newFakeAS(t)
	var redirect string
	Authorize(context.Background(), Request{Config: as.config(), Opener: &browser{}, Timeout: 5 * time.Second,
		OnListening: func(r string) { redirect = r }})
	u, _ := url.Parse(redirect)
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() || u.Hostname() == "localhost" {
		t.Errorf("redirect host got %q; want a loopback IP literal", u.Hostname())
	}
}

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func TestLoopbackListener_ClosedAfterCallback(t *testing.T) {
	as := newFakeAS(t)
	var host string
	_, err := Authorize(context.Background(), Request{Config: as.config(), Opener: &browser{}, Timeout: 5 * time.Second,
		OnListening: func(r string) { u, _ := url.Parse(r); host = u.Host }})
	if err != nil {
		t.Fatal(err)
	}
	if dialable(host) {
		t.Errorf("listener %s still open after the callback", host)
	}
}

func TestLoopbackListener_ClosedOnTimeout(t *testing.T) {
	as := newFakeAS(t)
	var host string
	_, err := Authorize(context.Background(), Request{Config: as.config(), Opener: nil, Timeout: 100 * time.Millisecond,
		OnListening: func(r string) { u, _ := url.Parse(r); host = u.Host }})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v; want ErrTimeout", err)
	}
	if dialable(host) {
		t.Errorf("listener %s still open after timeout", host)
	}
	if as.tokenCalls != 0 {
		t.Errorf("token requests: got %d; want 0", as.tokenCalls)
	}
}

func TestLoopbackListener_ClosedOnCancel(t *testing.T) {
	as := newFakeAS(t)
	ctx, cancel := context.WithCancel(context.Background())
	var host string
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err := Authorize(ctx, Request{Config: as.config(), Timeout: time.Minute,
		OnListening: func(r string) { u, _ := url.Parse(r); host = u.Host }})
	if !errors.Is(err, ErrCanceled) {
		t.Fatalf("got %v; want ErrCanceled", err)
	}
	if dialable(host) {
		t.Errorf("listener %s still open after cancel", host)
	}
}

func TestLoopbackListener_ServesOnlyCallbackPath(t *testing.T) {
	as := newFakeAS(t)
	codes := map[string]int{}
	br := &browser{before: func(authURL string) {
		u, _ := url.Parse(authURL)
		redirect, _ := url.Parse(u.Query().Get("redirect_uri"))
		for _, p := range []string{"/", "/favicon.ico", "/callback/../etc", "/admin"} {
			resp, err := http.Get("http://" + redirect.Host + p)
			if err == nil {
				codes[p] = resp.StatusCode
				resp.Body.Close()
			}
		}
	}}
	if _, err := Authorize(context.Background(), Request{Config: as.config(), Opener: br, Timeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	for p, c := range codes {
		if c != http.StatusNotFound && c != http.StatusMovedPermanently {
			t.Errorf("GET %s: got %d; want 404", p, c)
		}
	}
}

func TestLoopbackListener_HeaderTimeoutAndBodyLimit(t *testing.T) {
	as := newFakeAS(t)
	var host string
	br := &browser{before: func(authURL string) {
		u, _ := url.Parse(authURL)
		redirect, _ := url.Parse(u.Query().Get("redirect_uri"))
		host = redirect.Host
		req, _ := http.NewRequest("GET", "http://"+host+"/callback?state=x", nil)
		req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("64 KB header: got %d; want 431", resp.StatusCode)
			}
			resp.Body.Close()
		}
		// A client that never finishes its headers is cut off.
		c, err := net.Dial("tcp", host)
		if err == nil {
			c.Write([]byte("GET /callback HTTP/1.1\r\n"))
			c.Close()
		}
	}}
	if _, err := Authorize(context.Background(), Request{Config: as.config(), Opener: br, Timeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
}

func TestState_WrongOrMissingRejectedWaitingContinues(t *testing.T) {
	as := newFakeAS(t)
	var forged []int
	br := &browser{before: func(authURL string) {
		u, _ := url.Parse(authURL)
		redirect := u.Query().Get("redirect_uri")
		for _, q := range []string{"?code=forged&state=wrong", "?code=forged", "?code=forged&state=" + u.Query().Get("state") + "&state=x"} {
			resp, err := http.Get(redirect + q)
			if err == nil {
				forged = append(forged, resp.StatusCode)
				resp.Body.Close()
			}
		}
	}}
	tok, err := Authorize(context.Background(), Request{Config: as.config(), Opener: br, Timeout: 5 * time.Second})
	if err != nil || tok.AccessToken != "at-1" {
		t.Fatalf("real callback after forged ones: got %v, %v", tok, err)
	}
	if fmt.Sprint(forged) != "[400 400 400]" {
		t.Errorf("forged callbacks got %v; want [400 400 400]", forged)
	}
}

func TestPKCE_S256AlwaysFreshPerAttempt(t *testing.T) {
	as := newFakeAS(t)
	for i := 0; i < 2; i++ {
		if _, err := Authorize(context.Background(), Request{Config: as.config(), Opener: &browser{}, Timeout: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	if as.methods[0] != "S256" || as.methods[1] != "S256" {
		t.Errorf("methods got %v; want S256 always", as.methods)
	}
	if as.challenges[0] == as.challenges[1] || len(as.challenges[0]) < 43 {
		t.Errorf("challenges got %v; want fresh 43+ char values", as.challenges)
	}
}

func TestRedirectURI_IdenticalInBothRequests(t *testing.T) {
	as := newFakeAS(t)
	if _, err := Authorize(context.Background(), Request{Config: as.config(), Opener: &browser{}, Timeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if as.authRedirects[0] == "" || as.authRedirects[0] != as.tokenRedirect[0] {
		t.Errorf("redirect_uri: authorize %q, token %q; want identical", as.authRedirects[0], as.tokenRedirect[0])
	}
}

func TestIss_EnforcedWhenAdvertised(t *testing.T) {
	for _, tc := range []struct {
		name            string
		omit, wrong     bool
		advertised, err bool
	}{
		{"missing when advertised", true, false, true, true},
		{"wrong when advertised", false, true, true, true},
		{"missing when not advertised", true, false, false, false},
		{"right", false, false, true, false},
	} {
		as := newFakeAS(t)
		as.omitIss, as.wrongIss = tc.omit, tc.wrong
		cfg := as.config()
		cfg.IssSupported = tc.advertised
		_, err := Authorize(context.Background(), Request{Config: cfg, Opener: &browser{}, Timeout: 5 * time.Second})
		if (err != nil) != tc.err || (tc.err && !errors.Is(err, ErrIssMismatch)) {
			t.Errorf("%s: got %v; want error %v", tc.name, err, tc.err)
		}
		if tc.err && as.tokenCalls != 0 {
			t.Errorf("%s: %d token requests after a bad iss; want 0", tc.name, as.tokenCalls)
		}
	}
}

func TestAccessDenied_NoTokenRequest(t *testing.T) {
	as := newFakeAS(t)
	as.deny = true
	br := &browser{}
	_, err := Authorize(context.Background(), Request{Config: as.config(), Opener: br, Timeout: 5 * time.Second})
	var p *integration.Problem
	if !errors.Is(err, ErrDenied) || !errors.As(err, &p) || p.Code != "error.oauth_access_denied" {
		t.Errorf("got %v; want access denied with its problem", err)
	}
	if as.tokenCalls != 0 {
		t.Errorf("token requests: got %d; want 0", as.tokenCalls)
	}
}

func TestCallbackPage_IsStatic(t *testing.T) {
	page := string(DefaultPage(true, nil))
	for _, bad := range []string{"<script", "http://", "https://", "<link", "<img", "src="} {
		if strings.Contains(page, bad) {
			t.Errorf("callback page contains %q", bad)
		}
	}
}

func TestMetadata_IssuerMismatchRefused(t *testing.T) {
	srv := metadataServer(t, func(base string) string {
		return `{"issuer":"https://other.example","authorization_endpoint":"` + base + `/a","token_endpoint":"` + base + `/t","code_challenge_methods_supported":["S256"]}`
	})
	_, err := Discover(context.Background(), srv.Client(), srv.URL)
	if !errors.Is(err, ErrIssuerMismatch) {
		t.Errorf("got %v; want ErrIssuerMismatch", err)
	}
}

func TestMetadata_WithoutS256Refused(t *testing.T) {
	srv := metadataServer(t, func(base string) string {
		return `{"issuer":"` + base + `","authorization_endpoint":"` + base + `/a","token_endpoint":"` + base + `/t","code_challenge_methods_supported":["plain"]}`
	})
	_, err := Discover(context.Background(), srv.Client(), srv.URL)
	if !errors.Is(err, ErrNoS256) {
		t.Errorf("got %v; want ErrNoS256", err)
	}
}

func TestMetadata_Good(t *testing.T) {
	srv := metadataServer(t, func(base string) string {
		return `{"issuer":"` + base + `","authorization_endpoint":"` + base + `/a","token_endpoint":"` + base + `/t","code_challenge_methods_supported":["S256"],"authorization_response_iss_parameter_supported":true}`
	})
	md, err := Discover(context.Background(), srv.Client(), srv.URL)
	if err != nil || !md.IssParameterSupported || md.TokenEndpoint != srv.URL+"/t" {
		t.Errorf("got %+v, %v", md, err)
	}
}

func metadataServer(t *testing.T, doc func(base string) string) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/oauth-authorization-server" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, doc(srv.URL))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRefresh(t *testing.T) {
	as := newFakeAS(t)
	tok, err := Refresh(context.Background(), nil, as.config(), "rt-keep")
	if err != nil || tok.AccessToken != "at-2" || tok.RefreshToken != "rt-keep" {
		t.Errorf("refresh without rotation: got %v, %v; want old refresh token kept", tok, err)
	}
	_, err = Refresh(context.Background(), nil, as.config(), "revoked")
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" || !strings.Contains(te.Description, "revoked") {
		t.Errorf("got %v; want invalid_grant", err)
	}
	_, err = Refresh(context.Background(), nil, as.config(), "outage")
	if !errors.Is(err, ErrServer) {
		t.Errorf("503: got %v; want ErrServer", err)
	}
	cfg := as.config()
	cfg.TokenURL = "http://127.0.0.1:1/token"
	if _, err := Refresh(context.Background(), nil, cfg, "x"); !errors.Is(err, ErrNetwork) {
		t.Errorf("unreachable: got %v; want ErrNetwork", err)
	}
}

func TestTokenRedactsItself(t *testing.T) {
	tok := Token{AccessToken: "at-secret", RefreshToken: "rt-secret", IDToken: "id-secret"}
	js, _ := json.Marshal(tok)
	for _, out := range []string{tok.String(), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok), string(js), fmt.Sprint(&tok)} {
		if strings.Contains(out, "secret") {
			t.Errorf("token printed its secret: %s", out)
		}
	}
}

func TestHostileResponsesAreBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/huge/.well-known/oauth-authorization-server":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"issuer":"`))
			w.Write([]byte(strings.Repeat("a", 10<<20)))
		case "/stream/.well-known/oauth-authorization-server":
			w.Header().Set("Content-Type", "application/json")
			for i := 0; i < 100000; i++ {
				if _, err := w.Write([]byte(strings.Repeat(" ", 1024))); err != nil {
					return
				}
			}
		case "/html/.well-known/oauth-authorization-server":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>login</html>"))
		case "/badjson/.well-known/oauth-authorization-server":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("{not json"))
		case "/redirect/.well-known/oauth-authorization-server":
			http.Redirect(w, r, "https://evil.example/x", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	client := NewHTTPClient(5 * time.Second)
	for _, path := range []string{"/huge", "/stream", "/html", "/badjson", "/redirect"} {
		start := time.Now()
		_, err := Discover(context.Background(), client, srv.URL+path)
		if err == nil {
			t.Errorf("%s: accepted", path)
		}
		if time.Since(start) > 4*time.Second {
			t.Errorf("%s: took %v", path, time.Since(start))
		}
	}
}

func FuzzCallbackQuery(f *testing.F) {
	for _, s := range []string{"code=abc&state=s", "state=s&error=access_denied", "state=s&iss=https%3A%2F%2Fas&code=x", "state=s&state=s&code=x", "", "%zz", "state=s&error=%00%ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		code, err := ParseCallback(q, "s", "https://as", true)
		if err == nil && (code == "" || q.Get("state") != "s" || q.Get("iss") != "https://as") {
			t.Fatalf("accepted %q", raw)
		}
		var ae *AuthError
		if errors.As(err, &ae) && strings.ContainsAny(ae.Code, "<>\"' \x00") {
			t.Fatalf("unsanitised error code %q", ae.Code)
		}
	})
}

func FuzzMetadata(f *testing.F) {
	f.Add([]byte(`{"issuer":"https://a","authorization_endpoint":"https://a/a","token_endpoint":"https://a/t"}`))
	f.Add([]byte(`{"issuer":1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		md, err := ParseMetadata(b)
		if err == nil && (md.Issuer == "" || md.TokenEndpoint == "") {
			t.Fatalf("accepted incomplete metadata %q", b)
		}
	})
}

func FuzzTokenResponse(f *testing.F) {
	f.Add(`{"access_token":"a","token_type":"Bearer","expires_in":3600,"scope":"x y"}`, 200)
	f.Add(`{"error":"invalid_grant","error_description":"revoked"}`, 400)
	f.Add(`garbage`, 500)
	f.Add(`{"access_token":"a","refresh_token_expires_in":"12"}`, 200)
	f.Fuzz(func(t *testing.T, body string, status int) {
		if status < 200 || status > 599 {
			return
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
		}))
		defer srv.Close()
		tok, err := Refresh(context.Background(), srv.Client(), Config{ClientID: "c", TokenURL: srv.URL}, "rt")
		if err == nil && tok.AccessToken == "" {
			t.Fatalf("token without access_token accepted: %q", body)
		}
		if err != nil && strings.Contains(err.Error(), "rt\"") {
			t.Fatalf("error leaks the refresh token: %v", err)
		}
	})
}

// TestCallbackPage_ReachesTheBrowser: the browser gets the whole page
// although the flow closes its listener as soon as it has the code. The
// page is rendered as late as the flow lets it: until the code exchange
// (which follows the close) or, when the page must go first, a moment.
func TestCallbackPage_ReachesTheBrowser(t *testing.T) {
	as := newFakeAS(t)
	exchanged := make(chan struct{})
	var once sync.Once
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(exchanged) })
		httputil.NewSingleHostReverseProxy(mustURL(t, as.URL)).ServeHTTP(w, r)
	}))
	t.Cleanup(tokens.Close)
	cfg := as.config()
	cfg.TokenURL = tokens.URL + "/token"
	type seen struct {
		body string
		err  error
	}
	got := make(chan seen, 1)
	opener := openerFunc(func(u string) error {
		go func() {
			resp, err := http.Get(u)
			if err != nil {
				got <- seen{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			got <- seen{string(b), err}
		}()
		return nil
	})
	page := func(ok bool, p *integration.Problem) []byte {
		select {
		case <-exchanged:
		case <-time.After(300 * time.Millisecond):
		}
		return DefaultPage(ok, p)
	}
	if _, err := Authorize(context.Background(), Request{Config: cfg, Opener: opener, Page: page, Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if s := <-got; s.err != nil || !strings.Contains(s.body, "Relink is authorized") {
		t.Errorf("the browser got %q, %v; want the whole success page", s.body, s.err)
	}
}

type openerFunc func(string) error

func (f openerFunc) Open(u string) error { return f(u) }

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
