// Package server is Relink's sandbox OAuth 2.0 provider: a real
// authorization server built on ory/fosite (authorization code + PKCE S256,
// refresh rotation with reuse detection, revocation), plus what fosite
// lacks (RFC 8414 metadata, RFC 9207 iss), a who-am-I endpoint, an API-key
// who-am-I, and loopback-only control endpoints that reproduce the ways
// real integrations break.
package server

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/storage"
	"golang.org/x/crypto/bcrypt"
)

// Clients registered at start.
const (
	PublicClient       = "relink"
	ConfidentialClient = "relink-confidential"
	ConfidentialSecret = "sandbox-secret"
)

// DefaultScopes are granted unless reduced.
var DefaultScopes = []string{"openid", "offline", "offline_access", "profile", "email", "analytics.read", "analytics.write"}

// Options configure a Server.
type Options struct {
	Issuer     string // base URL, e.g. http://127.0.0.1:4444
	User       string // who the headless login approves as
	AccessTTL  time.Duration
	RefreshTTL time.Duration
}

// Server is the sandbox provider.
type Server struct {
	opts     Options
	store    *storage.MemoryStore
	provider fosite.OAuth2Provider
	config   *fosite.Config

	mu            sync.Mutex
	user          string
	denyNext      bool
	revokedBefore map[string]time.Time // subject → grants before this are revoked
	expiredBefore time.Time            // access tokens issued before are expired
	reduced       map[string]bool      // scopes taken away
	outage        bool
	omitIss       bool // misbehave: leave iss off redirects (tests fail-closed clients)
	slow          time.Duration
	apiKeys       map[string]string    // key → account
	issued        map[string]time.Time // access token → when it was issued
	counts        map[string]int       // token requests by grant type
}

// New builds a server; Handler serves it.
func New(o Options) (*Server, error) {
	if o.User == "" {
		o.User = "ana@example.com"
	}
	if o.AccessTTL <= 0 {
		o.AccessTTL = time.Hour
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = 30 * 24 * time.Hour
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	cfg := &fosite.Config{
		AccessTokenLifespan:            o.AccessTTL,
		RefreshTokenLifespan:           o.RefreshTTL,
		AuthorizeCodeLifespan:          5 * time.Minute,
		GlobalSecret:                   secret,
		EnforcePKCE:                    true,
		EnforcePKCEForPublicClients:    true,
		EnablePKCEPlainChallengeMethod: false,
		RefreshTokenScopes:             []string{}, // always issue refresh tokens
		ScopeStrategy:                  fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:       fosite.DefaultAudienceMatchingStrategy,
		SendDebugMessagesToClients:     true,
		TokenURL:                       o.Issuer + "/token",
	}
	st := storage.NewMemoryStore()
	hash, err := bcrypt.GenerateFromPassword([]byte(ConfidentialSecret), bcrypt.MinCost)
	if err != nil {
		return nil, err
	}
	redirects := []string{"http://127.0.0.1/callback", "http://[::1]/callback"}
	st.Clients[PublicClient] = &fosite.DefaultClient{ID: PublicClient, Public: true, RedirectURIs: redirects,
		GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"}, Scopes: DefaultScopes}
	st.Clients[ConfidentialClient] = &fosite.DefaultClient{ID: ConfidentialClient, Secret: hash, RedirectURIs: redirects,
		GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"}, Scopes: DefaultScopes}
	provider := compose.Compose(cfg, st, compose.NewOAuth2HMACStrategy(cfg),
		compose.OAuth2AuthorizeExplicitFactory, compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2TokenRevocationFactory, compose.OAuth2TokenIntrospectionFactory, compose.OAuth2PKCEFactory)
	return &Server{opts: o, store: st, provider: provider, config: cfg, user: o.User,
		revokedBefore: map[string]time.Time{}, reduced: map[string]bool{}, apiKeys: map[string]string{}, counts: map[string]int{},
		issued: map[string]time.Time{}}, nil
}

// Handler is the whole server.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/oauth-authorization-server", s.metadata)
	mux.HandleFunc("/.well-known/openid-configuration", s.metadata)
	mux.HandleFunc("/authorize", s.authorize)
	mux.HandleFunc("/token", s.token)
	mux.HandleFunc("/revoke", s.revoke)
	mux.HandleFunc("/whoami", s.whoami)
	mux.HandleFunc("/api/whoami", s.apiWhoami)
	control := http.NewServeMux()
	control.HandleFunc("/control/state", s.controlState)
	control.HandleFunc("/control/revoke-user", s.controlRevokeUser)
	control.HandleFunc("/control/expire-tokens", s.controlExpire)
	control.HandleFunc("/control/reduce-scopes", s.controlReduce)
	control.HandleFunc("/control/api-keys", s.controlAPIKeys)
	control.HandleFunc("/control/reset", s.controlReset)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/control/") {
			if !loopback(r.RemoteAddr) {
				http.Error(w, "control endpoints answer loopback clients only", http.StatusForbidden)
				return
			}
			control.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		outage, slow := s.outage, s.slow
		s.mu.Unlock()
		if slow > 0 {
			select {
			case <-time.After(slow):
			case <-r.Context().Done():
				return
			}
		}
		if outage {
			w.Header().Set("Retry-After", "30")
			http.Error(w, "sandbox outage", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	iss := s.opts.Issuer
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         iss,
		"authorization_endpoint":                         iss + "/authorize",
		"token_endpoint":                                 iss + "/token",
		"revocation_endpoint":                            iss + "/revoke",
		"userinfo_endpoint":                              iss + "/whoami",
		"response_types_supported":                       []string{"code"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"none", "client_secret_basic", "client_secret_post"},
		"scopes_supported":                               DefaultScopes,
		"authorization_response_iss_parameter_supported": true,
	})
}

// issWriter adds iss (RFC 9207) to every redirect the authorization
// endpoint sends, success or error.
type issWriter struct {
	http.ResponseWriter
	iss string
}

func (w issWriter) WriteHeader(code int) {
	if loc := w.Header().Get("Location"); loc != "" {
		if u, err := url.Parse(loc); err == nil {
			q := u.Query()
			q.Set("iss", w.iss)
			u.RawQuery = q.Encode()
			w.Header().Set("Location", u.String())
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// session carries who authorized and when; the grant time survives
// refreshes, so revoking a user's grants catches every token of the family.
func newSession(user string) *fosite.DefaultSession {
	return &fosite.DefaultSession{Subject: user, Username: user, ExpiresAt: map[fosite.TokenType]time.Time{},
		Extra: map[string]interface{}{"granted_at": time.Now().UnixNano()}}
}

func grantedAt(ar fosite.Requester) time.Time {
	if ds, ok := ar.GetSession().(*fosite.DefaultSession); ok {
		switch v := ds.Extra["granted_at"].(type) {
		case int64:
			return time.Unix(0, v)
		case float64:
			return time.Unix(0, int64(v))
		}
	}
	return ar.GetRequestedAt()
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var rw http.ResponseWriter = issWriter{w, s.opts.Issuer}
	s.mu.Lock()
	if s.omitIss {
		rw = w
	}
	s.mu.Unlock()
	ar, err := s.provider.NewAuthorizeRequest(ctx, r)
	if err != nil {
		s.provider.WriteAuthorizeError(ctx, rw, ar, err)
		return
	}
	s.mu.Lock()
	deny, user := s.denyNext, s.user
	s.denyNext = false
	reduced := s.reduced
	s.mu.Unlock()
	if deny {
		s.provider.WriteAuthorizeError(ctx, rw, ar, fosite.ErrAccessDenied.WithDescription("The user denied the request"))
		return
	}
	for _, sc := range ar.GetRequestedScopes() {
		if !reduced[sc] {
			ar.GrantScope(sc)
		}
	}
	resp, err := s.provider.NewAuthorizeResponse(ctx, ar, newSession(user))
	if err != nil {
		s.provider.WriteAuthorizeError(ctx, rw, ar, err)
		return
	}
	s.provider.WriteAuthorizeResponse(ctx, rw, ar, resp)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.ParseForm()
	s.mu.Lock()
	s.counts[r.PostForm.Get("grant_type")]++
	s.mu.Unlock()
	ar, err := s.provider.NewAccessRequest(ctx, r, newSession(""))
	if err != nil {
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	if ar.GetGrantTypes().ExactOne("refresh_token") && s.revoked(ar) {
		s.provider.WriteAccessError(ctx, w, ar, fosite.ErrInvalidGrant.WithHint("Token has been revoked by an administrator."))
		return
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	// fosite keeps the original request time across refreshes; "expire
	// now" needs each access token's own issue time.
	s.mu.Lock()
	s.issued[resp.GetAccessToken()] = time.Now()
	s.mu.Unlock()
	s.provider.WriteAccessResponse(ctx, w, ar, resp)
}

// revoked reports a grant made before an admin revoked the user.
func (s *Server) revoked(ar fosite.Requester) bool {
	sub := ar.GetSession().GetSubject()
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.revokedBefore[sub]
	return ok && !grantedAt(ar).After(t)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	err := s.provider.NewRevocationRequest(ctx, r)
	s.provider.WriteRevocationResponse(ctx, w, err)
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return h[7:]
	}
	return ""
}

func unauthorized(w http.ResponseWriter, desc string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="invalid_token", error_description=%q`, desc))
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": desc})
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	tok := bearer(r)
	if tok == "" {
		unauthorized(w, "The access token is missing")
		return
	}
	_, ar, err := s.provider.IntrospectToken(r.Context(), tok, fosite.AccessToken, newSession(""))
	if err != nil {
		unauthorized(w, "The access token expired or is invalid")
		return
	}
	s.mu.Lock()
	expiredBefore, reduced, issuedAt := s.expiredBefore, s.reduced, s.issued[tok]
	s.mu.Unlock()
	if s.revoked(ar) {
		unauthorized(w, "The access token has been revoked")
		return
	}
	if !expiredBefore.IsZero() && !issuedAt.After(expiredBefore) {
		unauthorized(w, "The access token expired")
		return
	}
	var scopes []string
	for _, sc := range ar.GetGrantedScopes() {
		if !reduced[sc] {
			scopes = append(scopes, sc)
		}
	}
	sub := ar.GetSession().GetSubject()
	writeJSON(w, http.StatusOK, map[string]string{"sub": sub, "email": sub, "name": strings.Split(sub, "@")[0], "scope": strings.Join(scopes, " ")})
}

func (s *Server) apiWhoami(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("X-API-Key")
	if key == "" {
		key = bearer(r)
	}
	s.mu.Lock()
	account, ok := s.apiKeys[key]
	s.mu.Unlock()
	if key == "" || !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_api_key"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"account": account, "scopes": []string{"read"}})
}

// Counts returns token requests by grant type.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

func decode(r *http.Request, v any) error {
	if r.Method != http.MethodPost {
		return fmt.Errorf("use POST")
	}
	if r.ContentLength == 0 {
		return nil
	}
	return json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16)).Decode(v)
}

// controlState reads or changes the simple switches: current user, deny
// next authorization, outage, slow responses, token lifetimes.
func (s *Server) controlState(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var body struct {
			User        *string `json:"user"`
			DenyNext    *bool   `json:"denyNext"`
			Outage      *bool   `json:"outage"`
			OmitIss     *bool   `json:"omitIss"`
			SlowMS      *int    `json:"slowMs"`
			AccessTTLMS *int    `json:"accessTtlMs"`
		}
		if err := decode(r, &body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		if body.User != nil {
			s.user = *body.User
		}
		if body.DenyNext != nil {
			s.denyNext = *body.DenyNext
		}
		if body.Outage != nil {
			s.outage = *body.Outage
		}
		if body.OmitIss != nil {
			s.omitIss = *body.OmitIss
		}
		if body.SlowMS != nil {
			s.slow = time.Duration(*body.SlowMS) * time.Millisecond
		}
		if body.AccessTTLMS != nil {
			s.config.AccessTokenLifespan = time.Duration(*body.AccessTTLMS) * time.Millisecond
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	state := map[string]any{"user": s.user, "denyNext": s.denyNext, "outage": s.outage, "slowMs": s.slow.Milliseconds(),
		"accessTtlMs": s.config.AccessTokenLifespan.Milliseconds(), "tokenRequests": s.counts, "reducedScopes": keys(s.reduced)}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, state)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// controlRevokeUser revokes every grant of a user (an admin removed the
// app's access): refreshes fail with invalid_grant, access tokens with 401.
func (s *Server) controlRevokeUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User string `json:"user"`
	}
	if err := decode(r, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if body.User == "" {
		body.User = s.user
	}
	s.revokedBefore[body.User] = time.Now()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"revoked": body.User})
}

// controlExpire expires every access token issued so far.
func (s *Server) controlExpire(w http.ResponseWriter, r *http.Request) {
	if err := decode(r, &struct{}{}); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.expiredBefore = time.Now()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"expired": true})
}

// controlReduce takes scopes away from existing and future grants.
func (s *Server) controlReduce(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Remove []string `json:"remove"`
	}
	if err := decode(r, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.reduced = map[string]bool{}
	for _, sc := range body.Remove {
		s.reduced[sc] = true
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string][]string{"removed": body.Remove})
}

// controlAPIKeys replaces the valid API keys (key → account).
func (s *Server) controlAPIKeys(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Keys map[string]string `json:"keys"`
	}
	if err := decode(r, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.apiKeys = body.Keys
	if s.apiKeys == nil {
		s.apiKeys = map[string]string{}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]int{"keys": len(body.Keys)})
}

// controlReset clears every switch and counter (grants stay).
func (s *Server) controlReset(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.user, s.denyNext, s.outage, s.omitIss, s.slow = s.opts.User, false, false, false, 0
	s.revokedBefore, s.reduced, s.counts = map[string]time.Time{}, map[string]bool{}, map[string]int{}
	s.expiredBefore = time.Time{}
	s.config.AccessTokenLifespan = s.opts.AccessTTL
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"reset": true})
}
