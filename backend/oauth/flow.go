package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"relink/backend/integration"
)

// Opener opens a URL in the system browser.
type Opener interface{ Open(url string) error }

// Config is one provider's client configuration.
type Config struct {
	ClientID       string
	ClientSecret   string
	AuthURL        string
	TokenURL       string
	RevokeURL      string
	DeviceURL      string
	Scopes         []string
	ScopeSeparator string
	ExtraParams    map[string]string
	// HeaderAuth sends a confidential client's credentials with HTTP Basic
	// instead of in the body (AuthStyleInHeader).
	HeaderAuth bool
	// Issuer and IssSupported come from the server's metadata; when
	// IssSupported, the callback's iss must equal Issuer (RFC 9207).
	Issuer       string
	IssSupported bool
	// Keep names non-secret values to keep from the token response or the
	// authorization redirect (Salesforce's instance_url, Intuit's realmId);
	// they come back in Token.Params.
	Keep []string
}

func (c Config) oauth2(redirect string) *oauth2.Config {
	style := oauth2.AuthStyleInParams
	if c.ClientSecret != "" && c.HeaderAuth {
		style = oauth2.AuthStyleInHeader
	}
	scopes := c.Scopes
	if sep := c.ScopeSeparator; sep != "" && sep != " " && len(scopes) > 0 {
		// x/oauth2 joins scopes with spaces; providers that want another
		// separator get one pre-joined scope.
		scopes = []string{strings.Join(scopes, sep)}
	}
	return &oauth2.Config{
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: redirect, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: c.AuthURL, TokenURL: c.TokenURL, DeviceAuthURL: c.DeviceURL, AuthStyle: style},
	}
}

// Errors of an authorization attempt.
var (
	ErrTimeout     = errors.New("authorization timed out")
	ErrCanceled    = errors.New("authorization canceled")
	ErrIssMismatch = errors.New("callback iss does not match the issuer")
	ErrDenied      = errors.New("authorization denied")
	ErrNoListener  = errors.New("cannot listen on loopback")
	ErrPortBusy    = errors.New("redirect port in use")
)

// AuthError is an RFC 6749 §4.1.2.1 error returned to the callback.
type AuthError struct {
	Code        string
	Description string
}

func (e *AuthError) Error() string {
	return "authorization error " + e.Code
}

func (e *AuthError) Is(target error) bool { return target == ErrDenied && e.Code == "access_denied" }

func (e *AuthError) As(target any) bool {
	if p, ok := target.(**integration.Problem); ok {
		if e.Code == "access_denied" {
			*p = integration.NewProblem("error.oauth_access_denied")
		} else {
			*p = integration.NewProblem("error.oauth_error", "code", e.Code)
		}
		return true
	}
	return false
}

// Request is one authorization attempt.
type Request struct {
	Config  Config
	Opener  Opener
	HTTP    *http.Client
	Timeout time.Duration // default 5 minutes
	// OnURL is called with the authorization URL before the browser is
	// opened, and with opened=false when opening failed (show it to copy).
	OnURL func(url string, opened bool)
	// Page renders the static page the browser shows after the callback.
	Page func(ok bool, p *integration.Problem) []byte
	// OnListening reports the redirect URI sent, once the listener is
	// bound (tests use it).
	OnListening func(redirectURI string)
	// Redirect is where the browser returns; the zero value is
	// http://127.0.0.1:<any port>/callback.
	Redirect Redirect
}

// Redirect is the provider's redirect for one attempt. The listener is
// always on loopback: a private-use-scheme callback (Handoff) and an
// https relay page forward the query there.
type Redirect struct {
	// URI is sent as redirect_uri. Empty: http://Host:<bound port>/callback,
	// for providers that accept any loopback port.
	URI string
	// Host is 127.0.0.1 (the default) or localhost; localhost binds both
	// 127.0.0.1 and ::1 on one port, so no other program can take the
	// address family the browser tries first.
	Host string
	// Port is the port to bind; 0 means any free one. A fixed port that is
	// taken fails with ErrPortBusy naming it.
	Port int
	// Handoff, when set, publishes the listener for a callback that
	// reaches another process first (the OS starts `relink URI` for a
	// private-use scheme) and returns its cleanup.
	Handoff func(state, listenURL string) (release func(), err error)
}

// DefaultTimeout is how long the loopback listener waits for the user.
const DefaultTimeout = 5 * time.Minute

// CallbackPath is the only path the loopback listener serves.
const CallbackPath = "/callback"

type callbackResult struct {
	code   string
	params map[string]string // the redirect's values named by Config.Keep
	err    error
}

// Authorize runs one authorization-code + PKCE attempt in the system
// browser and returns the token. The loopback listener exists only for
// this attempt: it is closed after the callback, on timeout and when ctx
// is canceled.
func Authorize(ctx context.Context, r Request) (*Token, error) {
	if r.Timeout <= 0 {
		r.Timeout = DefaultTimeout
	}
	if r.HTTP == nil {
		r.HTTP = NewHTTPClient(0)
	}
	lns, err := listen(r.Redirect.Host, r.Redirect.Port)
	if err != nil {
		return nil, err
	}
	listenURL := "http://" + lns[0].Addr().String() + CallbackPath
	redirect := r.Redirect.URI
	if redirect == "" {
		host := r.Redirect.Host
		if host == "" || lns[0].Addr().(*net.TCPAddr).IP.To4() == nil {
			// The IPv4 loopback was unavailable: name what was bound.
			host = lns[0].Addr().(*net.TCPAddr).IP.String()
		}
		redirect = "http://" + net.JoinHostPort(host, fmt.Sprint(lns[0].Addr().(*net.TCPAddr).Port)) + CallbackPath
	}
	if r.OnListening != nil {
		r.OnListening(redirect)
	}
	state := randomString(16)
	if r.Redirect.Handoff != nil {
		release, err := r.Redirect.Handoff(state, listenURL)
		if err != nil {
			closeAll(lns)
			return nil, integration.NewError(ErrNoListener, err, "error.oauth_listen")
		}
		defer release()
	}
	verifier := oauth2.GenerateVerifier()
	cfg := r.Config.oauth2(redirect)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	for k, v := range r.Config.ExtraParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	authURL := cfg.AuthCodeURL(state, opts...)

	results := make(chan callbackResult, 1)
	srv := &http.Server{
		Handler:           callbackHandler(r, state, results),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	for _, ln := range lns {
		go srv.Serve(ln)
	}
	defer srv.Close()

	opened := true
	if r.Opener == nil {
		opened = false
	} else if err := r.Opener.Open(authURL); err != nil {
		opened = false
	}
	if r.OnURL != nil {
		r.OnURL(authURL, opened)
	}

	timer := time.NewTimer(r.Timeout)
	defer timer.Stop()
	var res callbackResult
	select {
	case res = <-results:
	case <-timer.C:
		return nil, integration.NewError(ErrTimeout, nil, "error.oauth_timeout", "minutes", fmt.Sprint(int(r.Timeout.Minutes())))
	case <-ctx.Done():
		return nil, integration.NewError(ErrCanceled, ctx.Err(), "error.oauth_canceled")
	}
	// The handler sends the result before it writes the page: let it
	// finish, as closing at once cuts the page off and leaves the user an
	// error in the browser. Bounded, so a stalled browser cannot hold on.
	done, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	srv.Shutdown(done)
	cancel()
	if res.err != nil {
		return nil, res.err
	}
	tctx := context.WithValue(ctx, oauth2.HTTPClient, r.HTTP)
	tok, err := cfg.Exchange(tctx, res.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, tokenError("exchange", err)
	}
	t := fromOAuth2(tok, time.Now())
	t.Params = res.params
	for _, k := range r.Config.Keep {
		if v, ok := tok.Extra(k).(string); ok && v != "" {
			if t.Params == nil {
				t.Params = map[string]string{}
			}
			t.Params[k] = v
		}
	}
	return t, nil
}

// kept returns q's single values named by keep.
func kept(q url.Values, keep []string) map[string]string {
	var out map[string]string
	for _, k := range keep {
		if vs := q[k]; len(vs) == 1 && vs[0] != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = vs[0]
		}
	}
	return out
}

// listen binds the loopback listener(s) for host and port: 127.0.0.1
// alone (falling back to ::1 for any port when IPv4 loopback is missing),
// or for localhost the same port on 127.0.0.1 and, where IPv6 exists, ::1.
func listen(host string, port int) ([]net.Listener, error) {
	fail := func(err error) ([]net.Listener, error) {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, integration.NewError(ErrPortBusy, err, "error.oauth_port_busy", "port", strconv.Itoa(port))
		}
		return nil, integration.NewError(ErrNoListener, err, "error.oauth_listen")
	}
	if host == "localhost" {
		var err error
		// Any port: one free on IPv4 may be taken on IPv6; try a few.
		for range 5 {
			var lns []net.Listener
			if lns, err = listenBoth(port); err == nil {
				return lns, nil
			}
			if port != 0 {
				break
			}
		}
		return fail(err)
	}
	ln, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err == nil {
		return []net.Listener{ln}, nil
	}
	if port != 0 {
		return fail(err)
	}
	ln6, err6 := net.Listen("tcp6", "[::1]:0")
	if err6 == nil {
		return []net.Listener{ln6}, nil
	}
	return fail(errors.Join(err, err6))
}

// listenBoth binds port (0: any) on 127.0.0.1, then the same port on ::1
// unless this machine has no IPv6 loopback.
func listenBoth(port int) ([]net.Listener, error) {
	ln, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	bound := ln.Addr().(*net.TCPAddr).Port
	ln6, err := net.Listen("tcp6", net.JoinHostPort("::1", strconv.Itoa(bound)))
	switch {
	case err == nil:
		return []net.Listener{ln, ln6}, nil
	case errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT):
		return []net.Listener{ln}, nil
	}
	ln.Close()
	return nil, err
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// callbackHandler validates the redirect. A wrong or missing state gets
// 400 and the attempt keeps waiting (it may be a forged request racing the
// real one); everything else ends the attempt.
func callbackHandler(r Request, state string, results chan<- callbackResult) http.Handler {
	page := r.Page
	if page == nil {
		page = DefaultPage
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != CallbackPath || req.Method != http.MethodGet {
			http.NotFound(w, req)
			return
		}
		code, err := ParseCallback(req.URL.Query(), state, r.Config.Issuer, r.Config.IssSupported)
		if errors.Is(err, errBadState) {
			writePage(w, http.StatusBadRequest, page(false, integration.NewProblem("error.oauth_bad_state")))
			return
		}
		var p *integration.Problem
		if err != nil {
			p = integration.AsProblem(err)
		}
		select {
		case results <- callbackResult{code: code, params: kept(req.URL.Query(), r.Config.Keep), err: err}:
			status := http.StatusOK
			if err != nil {
				status = http.StatusBadRequest
			}
			writePage(w, status, page(err == nil, p))
		default:
			// A second valid-looking callback after the first: ignore.
			writePage(w, http.StatusBadRequest, page(false, integration.NewProblem("error.oauth_bad_state")))
		}
	})
}

var errBadState = errors.New("state missing or wrong")

// ParseCallback checks a callback's query: state first (RFC 6749 §10.12),
// then iss when the server advertises it (RFC 9207, fail closed), then the
// error or code.
func ParseCallback(q url.Values, state, issuer string, issSupported bool) (string, error) {
	if got := q.Get("state"); got == "" || got != state || len(q["state"]) != 1 {
		return "", errBadState
	}
	if issSupported {
		if iss := q.Get("iss"); iss == "" || iss != issuer || len(q["iss"]) != 1 {
			return "", integration.NewError(ErrIssMismatch, nil, "error.oauth_iss_mismatch")
		}
	}
	if e := q.Get("error"); e != "" {
		return "", &AuthError{Code: sanitizeCode(e), Description: q.Get("error_description")}
	}
	code := q.Get("code")
	if code == "" || len(q["code"]) != 1 {
		return "", integration.NewError(ErrDenied, nil, "error.oauth_no_code")
	}
	return code, nil
}

// sanitizeCode keeps an error code to the RFC 6749 character set so it
// can be shown and logged safely.
func sanitizeCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_' || r == '-' {
			b.WriteRune(r)
		}
		if b.Len() >= 64 {
			break
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

func writePage(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(body)
}

// DefaultPage is the English page used when the caller supplies none.
func DefaultPage(ok bool, p *integration.Problem) []byte {
	title, msg := "Relink is authorized", "You can close this tab and return to Relink."
	if !ok {
		title, msg = "Authorization did not complete", "Return to Relink for details."
		if p != nil {
			msg = html.EscapeString(p.Code) + ". " + msg
		}
	}
	return RenderPage(title, msg, ok)
}

// RenderPage builds the static callback page: no scripts, nothing loaded
// from elsewhere.
func RenderPage(title, msg string, ok bool) []byte {
	color := "#15803d"
	if !ok {
		color = "#b91c1c"
	}
	return []byte(`<!doctype html><html><head><meta charset="utf-8"><title>` + html.EscapeString(title) + `</title>
<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;margin:0;background:#f8fafc;color:#0f172a}
main{max-width:28rem;padding:2rem;border-radius:12px;background:#fff;box-shadow:0 1px 3px #0002;text-align:center}
h1{font-size:1.3rem;color:` + color + `}@media(prefers-color-scheme:dark){body{background:#0f172a;color:#e2e8f0}main{background:#1e293b}}</style>
</head><body><main><h1>` + html.EscapeString(title) + `</h1><p>` + html.EscapeString(msg) + `</p></main></body></html>`)
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
