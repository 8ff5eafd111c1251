package twins

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"relink/backend/catalog"
	"relink/backend/integration"
)

// Generic is one twin for many catalogue providers at once, built from
// their catalogue entries: the authorization endpoint (auto-approving,
// PKCE S256 and state enforced, redirect URI checked), the token endpoint
// (code exchange and refresh with lifetimes), revocation, discovery for
// providers that use it, and the probe endpoint answering the identity in
// the shape the entry's accountPath reads. Providers that share endpoints
// (Google Analytics and Google Ads) are told apart by client id or by the
// credential presented. Each provider can be switched into a failure Case.
type Generic struct {
	now func() time.Time

	mu        sync.Mutex
	providers map[string]*twinProvider
	routes    map[string][]route // host+path → endpoints served there
	hosts     []string
	codes     map[string]*authCode
	tokens    map[string]*issued
}

type twinProvider struct {
	Setup
	endpoints map[string]string // at → URL (authorize, token, revoke, probe)
	probe     catalog.ProbeRequest
	x         extras
	kept      map[string]string // values handed over at authorization
	dataPath  string            // host+path of the data-access probe
	active    *Case
	hits      map[string]int
}

type route struct {
	provider string
	at       string // AtToken, AtProbe, AtRevoke, AtDiscovery or atAuthorize
}

// Endpoints that are not failure points of a case.
const (
	atAuthorize = "authorize"
	atRelay     = "relay" // the user's https redirect page
)

type grant struct {
	provider string
	scopes   []string
	revoked  bool
}

type issued struct {
	g       *grant
	refresh bool
	expires time.Time // zero: does not expire
	dead    bool      // rotated out or revoked
}

type authCode struct {
	provider, redirectURI, challenge string
	scopes                           []string
	used                             bool
}

// NewGeneric mounts the given setups; now is the clock (nil: time.Now).
func NewGeneric(now func() time.Time, setups ...Setup) (*Generic, error) {
	if now == nil {
		now = time.Now
	}
	g := &Generic{now: now, providers: map[string]*twinProvider{}, routes: map[string][]route{},
		codes: map[string]*authCode{}, tokens: map[string]*issued{}}
	for _, s := range setups {
		if err := g.add(s); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (g *Generic) add(s Setup) error {
	p := s.Provider
	tp := &twinProvider{Setup: s, endpoints: map[string]string{}, hits: map[string]int{}}
	if s.AccessLifetime <= 0 {
		tp.AccessLifetime = time.Duration(p.Lifetimes.AccessToken)
		if tp.AccessLifetime <= 0 {
			tp.AccessLifetime = time.Hour
		}
	}
	if p.OAuth != nil {
		eps, err := p.OAuthEndpoints(s.Settings)
		if err != nil {
			return fmt.Errorf("twin %s: %w", p.ID, err)
		}
		if eps.Discover {
			// The twin is the issuer: its endpoints sit under it.
			eps.AuthURL, eps.TokenURL, eps.RevokeURL = eps.Issuer+"/authorize", eps.Issuer+"/token", eps.Issuer+"/revoke"
			for _, wk := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
				if err := g.route(p.ID, AtDiscovery, eps.Issuer+wk); err != nil {
					return err
				}
			}
			tp.endpoints["issuer"] = eps.Issuer
		}
		tp.endpoints[atAuthorize], tp.endpoints[AtToken], tp.endpoints[AtRevoke] = eps.AuthURL, eps.TokenURL, eps.RevokeURL
	}
	if p.Probe != nil {
		pr, err := p.ProbeRequest(s.Settings)
		if err != nil {
			return fmt.Errorf("twin %s: %w", p.ID, err)
		}
		tp.probe, tp.endpoints[AtProbe] = pr, pr.URL
	}
	if s.Relay != "" {
		tp.endpoints[atRelay] = s.RedirectURI
	}
	for _, at := range []string{atAuthorize, AtToken, AtRevoke, AtProbe, atRelay} {
		if u := tp.endpoints[at]; u != "" {
			if err := g.route(p.ID, at, u); err != nil {
				return err
			}
		}
	}
	var err error
	if tp.x, tp.kept, err = readExtras(p); err != nil {
		return err
	}
	if d := tp.x.DataProbe; d != nil {
		u := render(d.URL, tp.kept, s.Settings)
		if err := g.route(p.ID, AtData, u); err != nil {
			return err
		}
		pu, _ := url.Parse(u)
		tp.dataPath = strings.ToLower(pu.Hostname()) + pu.Path
	}
	if p.Kind == integration.KindAPIKey {
		g.tokens[s.Secret] = &issued{g: &grant{provider: p.ID}}
	}
	g.providers[p.ID] = tp
	return nil
}

func (g *Generic) route(provider, at, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("twin %s: %s endpoint %q is not a URL", provider, at, raw)
	}
	host := strings.ToLower(u.Hostname())
	if !slices.Contains(g.hosts, host) {
		g.hosts = append(g.hosts, host)
	}
	k := host + u.Path
	g.routes[k] = append(g.routes[k], route{provider, at})
	return nil
}

// Hosts are every host name the mounted providers use.
func (g *Generic) Hosts() []string { return slices.Clone(g.hosts) }

// Switch puts a provider into a failure case; nil makes it healthy again.
func (g *Generic) Switch(provider string, c *Case) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.providers[provider].active = c
	g.providers[provider].hits = map[string]int{}
}

// Hits counts the requests a provider's endpoint (AtToken, AtProbe…) got
// since the last Switch.
func (g *Generic) Hits(provider, at string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.providers[provider].hits[at]
}

// Serves reports whether the provider has the endpoint at (AtToken,
// AtData…) in the catalogue, so a case there can happen at all.
func (g *Generic) Serves(provider, at string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	tp := g.providers[provider]
	switch at {
	case AtData:
		return tp.x.DataProbe != nil
	case AtDiscovery:
		return tp.endpoints["issuer"] != ""
	}
	return tp.endpoints[at] != ""
}

// SetRedirectURI registers the one redirect URI the provider accepts for
// its client ("" accepts any).
func (g *Generic) SetRedirectURI(provider, uri string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.providers[provider].RedirectURI = uri
}

func (g *Generic) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	routes := g.routes[host+r.URL.Path]
	rt, ok := g.pick(r, routes)
	if !ok {
		// A path the catalogue does not name, on a provider's host, with a
		// credential: a data-access call.
		if p, ok := g.dataProvider(r, host); ok {
			rt = route{p, AtData}
		} else {
			http.Error(w, "twin: nothing here", http.StatusNotFound)
			return
		}
	}
	tp := g.providers[rt.provider]
	tp.hits[rt.at]++
	if c := tp.active; c != nil && c.At == rt.at {
		writeCase(w, c)
		return
	}
	switch rt.at {
	case atAuthorize:
		g.authorize(w, r, tp)
	case AtToken:
		g.token(w, r, tp)
	case AtRevoke:
		g.revoke(w, r, tp)
	case AtDiscovery:
		g.discovery(w, tp)
	case AtProbe:
		g.probe(w, r, tp)
	case AtData:
		g.data(w, r, tp, host+r.URL.Path)
	case atRelay:
		// What the user's relay page does: forward the query, untouched,
		// to Relink's loopback listener.
		http.Redirect(w, r, tp.Relay+"?"+r.URL.RawQuery, http.StatusFound)
	}
}

func writeCase(w http.ResponseWriter, c *Case) {
	for k, v := range c.Headers {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		if json.Valid([]byte(c.Body)) {
			w.Header().Set("Content-Type", "application/json")
		} else if strings.HasPrefix(strings.TrimSpace(c.Body), "<") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
	}
	w.WriteHeader(c.Status)
	fmt.Fprint(w, c.Body)
}

// pick chooses among the endpoints at one URL by the client id or the
// credential the request carries.
func (g *Generic) pick(r *http.Request, routes []route) (route, bool) {
	if len(routes) == 0 {
		return route{}, false
	}
	for _, rt := range routes {
		tp := g.providers[rt.provider]
		switch rt.at {
		case atAuthorize, AtToken, AtRevoke:
			if id, _ := clientCredentials(r); id == tp.Settings["client_id"] {
				return rt, true
			}
		case AtProbe, AtData:
			if t := g.tokens[credential(r, tp.probe)]; t != nil && t.g.provider == rt.provider {
				return rt, true
			}
		}
	}
	return routes[0], true
}

// dataProvider finds the provider whose API host this is and whose
// credential the request carries.
func (g *Generic) dataProvider(r *http.Request, host string) (string, bool) {
	for id, tp := range g.providers {
		if u, err := url.Parse(tp.endpoints[AtProbe]); err != nil || strings.ToLower(u.Hostname()) != host {
			continue
		}
		if t := g.tokens[credential(r, tp.probe)]; t != nil && t.g.provider == id {
			return id, true
		}
	}
	return "", false
}

func clientCredentials(r *http.Request) (id, secret string) {
	if u, p, ok := r.BasicAuth(); ok {
		u, _ = url.QueryUnescape(u)
		p, _ = url.QueryUnescape(p)
		return u, p
	}
	return r.Form.Get("client_id"), r.Form.Get("client_secret")
}

// credential reads the credential where the catalogue says the provider
// takes it.
func credential(r *http.Request, pr catalog.ProbeRequest) string {
	switch pr.Auth {
	case "bearer":
		return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	case "header":
		v := r.Header.Get(pr.Name)
		if pr.Prefix != "" {
			v = strings.TrimPrefix(v, strings.TrimRight(pr.Prefix, " ")+" ")
		}
		return v
	case "query":
		return r.URL.Query().Get(pr.Name)
	case "basic":
		if u, p, ok := r.BasicAuth(); ok && u == pr.BasicUser {
			return p
		}
	case "basic_key":
		if u, _, ok := r.BasicAuth(); ok {
			return u
		}
	}
	return ""
}

// authorize approves at once, as a signed-in user who clicks Allow. An
// unregistered redirect URI gets an error page, never a redirect
// (RFC 6749 §4.1.2.1); other errors go back to the client.
func (g *Generic) authorize(w http.ResponseWriter, r *http.Request, tp *twinProvider) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	switch {
	case q.Get("client_id") != tp.Settings["client_id"]:
		http.Error(w, "invalid_client: unknown client_id", http.StatusBadRequest)
		return
	case redirect == "" || err != nil || !ru.IsAbs():
		http.Error(w, "invalid_request: redirect_uri missing or not absolute", http.StatusBadRequest)
		return
	case tp.RedirectURI != "" && redirect != tp.RedirectURI,
		tp.RedirectURI == "" && tp.x.loopbackHost() != "" && (ru.Scheme != "http" || ru.Hostname() != tp.x.loopbackHost()):
		http.Error(w, "redirect_uri_mismatch: "+redirect+" is not registered for this app", http.StatusBadRequest)
		return
	}
	back := func(v url.Values) {
		v.Set("state", q.Get("state"))
		sep := "?"
		if ru.RawQuery != "" {
			sep = "&"
		}
		http.Redirect(w, r, redirect+sep+v.Encode(), http.StatusFound)
	}
	challenge := q.Get("code_challenge")
	switch {
	case q.Get("response_type") != "code":
		back(url.Values{"error": {"unsupported_response_type"}})
		return
	case q.Get("state") == "":
		back(url.Values{"error": {"invalid_request"}, "error_description": {"state is required"}})
		return
	case tp.Provider.OAuth.PKCE && (challenge == "" || q.Get("code_challenge_method") != "S256"):
		back(url.Values{"error": {"invalid_request"}, "error_description": {"PKCE with S256 is required"}})
		return
	}
	code := randomToken("code")
	g.codes[code] = &authCode{provider: tp.Provider.ID, redirectURI: redirect, challenge: challenge, scopes: splitScopes(q.Get("scope"))}
	v := url.Values{"code": {code}}
	for name, val := range tp.x.keptFrom("redirect", tp.kept) {
		v.Set(name, val)
	}
	back(v)
}

func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}

func (g *Generic) clientOK(r *http.Request, tp *twinProvider) bool {
	id, secret := clientCredentials(r)
	if tp.Provider.OAuth.AuthStyle == "header" {
		if _, _, basic := r.BasicAuth(); !basic {
			return false
		}
	}
	return id == tp.Settings["client_id"] && subtle.ConstantTimeCompare([]byte(secret), []byte(tp.Secret)) == 1
}

func (g *Generic) token(w http.ResponseWriter, r *http.Request, tp *twinProvider) {
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "POST only")
		return
	}
	if !g.clientOK(r, tp) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	switch r.Form.Get("grant_type") {
	case "authorization_code":
		c := g.codes[r.Form.Get("code")]
		switch {
		case c == nil || c.used || c.provider != tp.Provider.ID:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
			return
		case c.redirectURI != r.Form.Get("redirect_uri"):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request")
			return
		case c.challenge != "" && !verifierMatches(r.Form.Get("code_verifier"), c.challenge):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
			return
		}
		c.used = true
		g.issue(w, tp, &grant{provider: tp.Provider.ID, scopes: c.scopes}, "")
	case "refresh_token":
		old := r.Form.Get("refresh_token")
		t := g.tokens[old]
		if t == nil || !t.refresh || t.dead || t.g.revoked || t.g.provider != tp.Provider.ID {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "refresh token is invalid, expired or revoked")
			return
		}
		if tp.Provider.Lifetimes.Rotates {
			t.dead = true
			old = ""
		}
		g.issue(w, tp, t.g, old)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
	}
}

func verifierMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// issue answers a token request: a new access token, and a new refresh
// token unless keep (the one presented, not rotated) is given.
func (g *Generic) issue(w http.ResponseWriter, tp *twinProvider, gr *grant, keep string) {
	access := randomToken("at")
	g.tokens[access] = &issued{g: gr, expires: g.now().Add(tp.AccessLifetime)}
	refresh := keep
	if refresh == "" {
		refresh = randomToken("rt")
		g.tokens[refresh] = &issued{g: gr, refresh: true}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	body := map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": int(tp.AccessLifetime.Seconds()),
		"refresh_token": refresh, "scope": strings.Join(gr.scopes, " "),
	}
	for name, val := range tp.x.keptFrom("token", tp.kept) {
		body[name] = val
	}
	json.NewEncoder(w).Encode(body)
}

// revoke ends the whole grant behind a token (RFC 7009 §2.1 lets a
// server do so) and answers 200 even for an unknown token (§2.2).
func (g *Generic) revoke(w http.ResponseWriter, r *http.Request, tp *twinProvider) {
	if id, _ := clientCredentials(r); id != tp.Settings["client_id"] {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "")
		return
	}
	if t := g.tokens[r.Form.Get("token")]; t != nil && t.g.provider == tp.Provider.ID {
		t.g.revoked = true
	}
	w.WriteHeader(http.StatusOK)
}

func (g *Generic) discovery(w http.ResponseWriter, tp *twinProvider) {
	iss := tp.endpoints["issuer"]
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"issuer": iss, "authorization_endpoint": tp.endpoints[atAuthorize], "token_endpoint": tp.endpoints[AtToken],
		"revocation_endpoint": tp.endpoints[AtRevoke], "userinfo_endpoint": iss + "/userinfo",
		"code_challenge_methods_supported": []string{"S256"}, "response_types_supported": []string{"code"},
		"grant_types_supported": []string{"authorization_code", "refresh_token"},
	})
}

// probe answers the who-am-I request with the account where the
// catalogue's accountPath looks for it.
func (g *Generic) probe(w http.ResponseWriter, r *http.Request, tp *twinProvider) {
	t := g.authorized(w, r, tp)
	if t == nil {
		return
	}
	var doc any = map[string]any{}
	if tp.probe.AccountPath != "" {
		doc = place(nil, strings.Split(tp.probe.AccountPath, "."), tp.Account)
	}
	for name, val := range tp.x.keptFrom("probe", tp.kept) {
		doc = place(doc, splitPath(name), val)
	}
	doc = satisfy(doc, tp.x.Probe.Expect, tp.kept)
	scopes := strings.Join(t.g.scopes, sepOr(tp.probe.ScopeSeparator))
	if tp.probe.ScopesPath != "" {
		doc = place(doc, strings.Split(tp.probe.ScopesPath, "."), scopes)
	}
	if tp.probe.ScopesHeader != "" {
		w.Header().Set(tp.probe.ScopesHeader, scopes)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(doc)
}

// authorized returns the live token the request carries, or answers 401
// as RFC 6750 §3.1 says and returns nil.
func (g *Generic) authorized(w http.ResponseWriter, r *http.Request, tp *twinProvider) *issued {
	t := g.tokens[credential(r, tp.probe)]
	if t == nil || t.refresh || t.dead || t.g.revoked || t.g.provider != tp.Provider.ID || (!t.expires.IsZero() && !g.now().Before(t.expires)) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "the credential is invalid, expired or revoked")
		return nil
	}
	return t
}

// data answers the data-access probe with what its expectations look
// for; any other path on the provider's API is data the twin lacks.
func (g *Generic) data(w http.ResponseWriter, r *http.Request, tp *twinProvider, at string) {
	if g.authorized(w, r, tp) == nil {
		return
	}
	if tp.x.DataProbe == nil || at != tp.dataPath {
		oauthError(w, http.StatusNotFound, "not_found", "the twin has no data at "+r.URL.Path)
		return
	}
	for header, field := range tp.x.DataProbe.SecretHeaders {
		if r.Header.Get(header) != tp.Extra[field] {
			oauthError(w, http.StatusForbidden, "permission_denied", header+" is missing or wrong")
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(satisfy(map[string]any{}, tp.x.DataProbe.Expect, tp.kept))
}

func sepOr(s string) string {
	if s == "" {
		return " "
	}
	return s
}

// place sets value at a dotted path in doc, making objects for names and
// one-element arrays for indexes ("data.0.id", "0.tenantName").
func place(doc any, path []string, value any) any {
	if len(path) == 0 {
		return value
	}
	if i, err := strconv.Atoi(path[0]); err == nil {
		arr, _ := doc.([]any)
		for len(arr) <= i {
			arr = append(arr, nil)
		}
		arr[i] = place(arr[i], path[1:], value)
		return arr
	}
	obj, _ := doc.(map[string]any)
	if obj == nil {
		obj = map[string]any{}
	}
	obj[path[0]] = place(obj[path[0]], path[1:], value)
	return obj
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}
