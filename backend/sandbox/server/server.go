// Package server is Relink's sandbox OAuth 2.0 provider: a real
// authorization server built on ory/fosite (authorization code + PKCE S256,
// refresh rotation with reuse detection, revocation), plus what fosite
// lacks (RFC 8414 metadata, RFC 9207 iss), a who-am-I endpoint, an API-key
// who-am-I, and loopback-only control endpoints that reproduce the ways
// real integrations break.
package server

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"golang.org/x/crypto/bcrypt"
)

// Clients registered when Options.Clients is empty.
const (
	PublicClient       = "relink"
	ConfidentialClient = "relink-confidential"
	ConfidentialSecret = "sandbox-secret"
)

// CallbackPath is the redirect path every client may use on a loopback IP
// literal (127.0.0.1 or [::1]) with any port (RFC 8252 §7.3).
const CallbackPath = "/callback"

// DefaultScopes are what the sandbox knows and grants unless reduced.
var DefaultScopes = []string{"openid", "offline", "offline_access", "profile", "email", "analytics.read", "analytics.write"}

// DefaultUser is who the headless login approves as unless told otherwise.
const DefaultUser = "ana@example.com"

// Client is a pre-registered OAuth client; an empty Secret makes it public.
type Client struct {
	ID     string
	Secret string
	// RedirectURIs are the registered redirect URIs; empty means
	// LoopbackRedirects.
	RedirectURIs []string
}

// LoopbackRedirects are registered for clients that name none: any port on
// a loopback IP literal matches them unless Options.ExactRedirect.
var LoopbackRedirects = []string{"http://127.0.0.1" + CallbackPath, "http://[::1]" + CallbackPath}

// Options configure a Server. Zero values get the defaults.
type Options struct {
	Issuer     string        // base URL, e.g. http://127.0.0.1:4444 (required)
	User       string        // who the headless login approves as (DefaultUser)
	AccessTTL  time.Duration // access token lifetime (1h)
	RefreshTTL time.Duration // refresh token lifetime (30 days)
	Clients    []Client      // relink (public) and relink-confidential
	// ExactRedirect compares redirect_uri with the registered URIs
	// character for character, port included, as Salesforce connected
	// apps, HubSpot, Shopify, Meta (strict mode), Xero and Zendesk do;
	// without it a loopback IP literal matches with any port (RFC 8252
	// §7.3). A mismatch is never redirected to (RFC 6749 §4.1.2.1).
	ExactRedirect bool
	// Now is the clock of the refresh grace window (time.Now). Token
	// lifetimes follow fosite's own clock.
	Now func() time.Time
}

// ErrNoIssuer is returned by New without Options.Issuer.
var ErrNoIssuer = errors.New("sandbox: an issuer URL is required")

// Server is the sandbox provider. Its zero value is not usable; call New.
type Server struct {
	// storeMu serialises every use of fosite's in-memory store: its
	// refresh-token rotation writes maps without a lock, and a refresh
	// reads a token and then retires it, which must not interleave with
	// another refresh of the same family.
	storeMu sync.Mutex

	issuer     string
	opts       Options
	provider   fosite.OAuth2Provider
	redirects  map[string][]string // client id → registered redirect URIs
	lifespans  *liveConfig
	controlMux *http.ServeMux
	publicMux  *http.ServeMux

	mu            sync.Mutex
	user          string
	denyNext      bool
	omitIss       bool                 // misbehave: leave iss off redirects (tests fail-closed clients)
	outage        bool                 // everything but /control answers 503
	slow          time.Duration        // delay before every non-control response
	refreshGrace  time.Duration        // a rotated refresh token still redeems this long
	replyDelay    time.Duration        // the token endpoint's pause between its work and its answer
	scopedClaims  bool                 // /whoami releases email and name only for their scopes
	revokedBefore map[string]time.Time // subject → grants made up to then are revoked
	expiredBefore time.Time            // access tokens issued up to then are expired
	reduced       map[string]bool      // scopes taken away; replaced, never mutated
	issued        map[string]time.Time // access token → when it was issued
	apiKeys       map[string]apiKey
	counters      Counters

	// idKey signs ID tokens (OpenID Connect Core §2); its public half is
	// served at /jwks.
	idKey *rsa.PrivateKey
}

// liveConfig lets control change token lifetimes while fosite reads them
// from request goroutines.
type liveConfig struct {
	*fosite.Config
	access, refresh atomic.Int64
}

func (c *liveConfig) GetAccessTokenLifespan(context.Context) time.Duration {
	return time.Duration(c.access.Load())
}

func (c *liveConfig) GetRefreshTokenLifespan(context.Context) time.Duration {
	return time.Duration(c.refresh.Load())
}

// New builds a server; Handler serves it.
func New(o Options) (*Server, error) {
	if o.Issuer == "" {
		return nil, ErrNoIssuer
	}
	o.Issuer = strings.TrimSuffix(o.Issuer, "/")
	if o.User == "" {
		o.User = DefaultUser
	}
	if o.AccessTTL <= 0 {
		o.AccessTTL = time.Hour
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = 30 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.Clients) == 0 {
		o.Clients = []Client{{ID: PublicClient}, {ID: ConfidentialClient, Secret: ConfidentialSecret}}
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("sandbox: token secret: %w", err)
	}
	cfg := &liveConfig{Config: &fosite.Config{
		AuthorizeCodeLifespan:          5 * time.Minute,
		GlobalSecret:                   secret,
		EnforcePKCE:                    true,
		EnforcePKCEForPublicClients:    true,
		EnablePKCEPlainChallengeMethod: false,
		RefreshTokenScopes:             []string{}, // issue a refresh token whatever the scopes
		ScopeStrategy:                  fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:       fosite.DefaultAudienceMatchingStrategy,
		SendDebugMessagesToClients:     true,
		TokenURL:                       o.Issuer + "/token",
	}}
	cfg.access.Store(int64(o.AccessTTL))
	cfg.refresh.Store(int64(o.RefreshTTL))

	s := &Server{issuer: o.Issuer, opts: o, lifespans: cfg, user: o.User,
		revokedBefore: map[string]time.Time{}, reduced: map[string]bool{}, issued: map[string]time.Time{},
		apiKeys: map[string]apiKey{}, counters: Counters{Token: map[string]int{}}, redirects: map[string][]string{}}
	st := newGraceStore(s.grace, o.Now, func() {
		s.mu.Lock()
		s.counters.RefreshGrace++
		s.mu.Unlock()
	})
	for _, c := range o.Clients {
		redirects := c.RedirectURIs
		if len(redirects) == 0 {
			redirects = LoopbackRedirects
		}
		s.redirects[c.ID] = redirects
		client := &fosite.DefaultClient{ID: c.ID, Public: c.Secret == "", RedirectURIs: redirects,
			GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"}, Scopes: DefaultScopes}
		if c.Secret != "" {
			hash, err := bcrypt.GenerateFromPassword([]byte(c.Secret), bcrypt.MinCost)
			if err != nil {
				return nil, fmt.Errorf("sandbox: client %s: %w", c.ID, err)
			}
			client.Secret = hash
		}
		st.Clients[c.ID] = client
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("sandbox: ID token key: %w", err)
	}
	s.idKey = key
	s.provider = composeProvider(cfg, st)
	s.routes()
	return s, nil
}

// composeProvider is compose.Compose for a Configurator other than *fosite.Config
// (compose.Compose would hand the handlers the plain config and bypass
// liveConfig's lifetimes).
func composeProvider(cfg *liveConfig, st *graceStore) fosite.OAuth2Provider {
	provider := fosite.NewOAuth2Provider(st, cfg)
	strategy := compose.NewOAuth2HMACStrategy(cfg)
	for _, factory := range []compose.Factory{compose.OAuth2AuthorizeExplicitFactory, compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2TokenRevocationFactory, compose.OAuth2TokenIntrospectionFactory, compose.OAuth2PKCEFactory} {
		h := factory(cfg, st, strategy)
		if ah, ok := h.(fosite.AuthorizeEndpointHandler); ok {
			cfg.AuthorizeEndpointHandlers.Append(ah)
		}
		if th, ok := h.(fosite.TokenEndpointHandler); ok {
			cfg.TokenEndpointHandlers.Append(th)
		}
		if ti, ok := h.(fosite.TokenIntrospector); ok {
			cfg.TokenIntrospectionHandlers.Append(ti)
		}
		if rh, ok := h.(fosite.RevocationHandler); ok {
			cfg.RevocationHandlers.Append(rh)
		}
	}
	return provider
}

func (s *Server) routes() {
	s.publicMux = http.NewServeMux()
	s.publicMux.HandleFunc("/.well-known/oauth-authorization-server", s.metadata)
	s.publicMux.HandleFunc("/.well-known/openid-configuration", s.metadata)
	s.publicMux.HandleFunc("/authorize", s.authorize)
	s.publicMux.HandleFunc("/token", s.token)
	s.publicMux.HandleFunc("/revoke", s.revoke)
	s.publicMux.HandleFunc("/whoami", s.whoami)
	s.publicMux.HandleFunc("/jwks", s.jwks)
	s.publicMux.HandleFunc("/api/whoami", s.apiWhoami)

	s.controlMux = http.NewServeMux()
	s.controlMux.HandleFunc("/control/state", s.controlState)
	s.controlMux.HandleFunc("/control/counters", s.controlCounters)
	s.controlMux.HandleFunc("/control/revoke-user", s.controlRevokeUser)
	s.controlMux.HandleFunc("/control/expire-tokens", s.controlExpire)
	s.controlMux.HandleFunc("/control/reduce-scopes", s.controlReduce)
	s.controlMux.HandleFunc("/control/api-keys", s.controlAPIKeys)
	s.controlMux.HandleFunc("/control/reset", s.controlReset)
}

// Issuer is the base URL every endpoint hangs off.
func (s *Server) Issuer() string { return s.issuer }

// Handler is the whole server: control endpoints for loopback clients,
// everything else behind the outage and slow switches.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/control/") {
			if !loopback(r.RemoteAddr) {
				writeJSON(w, http.StatusForbidden, map[string]string{"error": "control endpoints answer loopback clients only"})
				return
			}
			s.controlMux.ServeHTTP(w, r)
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
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
			return
		}
		s.publicMux.ServeHTTP(w, r)
	})
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	iss := s.issuer
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         iss,
		"authorization_endpoint":                         iss + "/authorize",
		"token_endpoint":                                 iss + "/token",
		"revocation_endpoint":                            iss + "/revoke",
		"userinfo_endpoint":                              iss + "/whoami",
		"jwks_uri":                                       iss + "/jwks",
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"subject_types_supported":                        []string{"public"},
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"none", "client_secret_basic", "client_secret_post"},
		"revocation_endpoint_auth_methods_supported":     []string{"none", "client_secret_basic", "client_secret_post"},
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

// newSession carries who authorized and when; fosite copies the session
// into every refresh, so the grant time lets an admin revocation catch
// every token of the family.
func newSession(user string) *fosite.DefaultSession {
	return &fosite.DefaultSession{Subject: user, Username: user, ExpiresAt: map[fosite.TokenType]time.Time{},
		Extra: map[string]any{"granted_at": time.Now().UnixNano()}}
}

func grantedAt(ar fosite.Requester) time.Time {
	if ds, ok := ar.GetSession().(*fosite.DefaultSession); ok {
		if v, ok := ds.Extra["granted_at"].(int64); ok {
			return time.Unix(0, v)
		}
	}
	return ar.GetRequestedAt()
}

// authorize is a headless login: it approves as the current user at once,
// or denies when told to.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	s.storeMu.Lock()
	defer s.storeMu.Unlock()
	ctx := r.Context()
	s.mu.Lock()
	s.counters.Authorize++
	omitIss := s.omitIss
	s.mu.Unlock()
	var rw http.ResponseWriter = issWriter{w, s.issuer}
	if omitIss {
		rw = w
	}
	if s.opts.ExactRedirect && !s.registeredExactly(r) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request",
			"error_description": "redirect_uri does not exactly match a registered redirect URI"})
		return
	}
	ar, err := s.provider.NewAuthorizeRequest(ctx, r)
	if err != nil {
		s.provider.WriteAuthorizeError(ctx, rw, ar, err)
		return
	}
	s.mu.Lock()
	deny, user, reduced := s.denyNext, s.user, s.reduced
	s.denyNext = false
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

// registeredExactly reports whether the request's redirect_uri is one its
// client registered, character for character. An unknown client passes
// here and is refused by fosite.
func (s *Server) registeredExactly(r *http.Request) bool {
	q := r.URL.Query()
	registered, ok := s.redirects[q.Get("client_id")]
	if !ok {
		return true
	}
	return len(q["redirect_uri"]) == 1 && slices.Contains(registered, q.Get("redirect_uri"))
}

// token answers the token endpoint. With a reply delay it does all its
// work first (a rotation is committed) and only then waits, which is the
// window in which a client that dies loses the tokens it was sent.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	// Read before the work starts, so once the counters show this request
	// a test may change the delay for the next ones without touching it.
	s.mu.Lock()
	delay := s.replyDelay
	s.mu.Unlock()
	reply := s.tokenWork(r)
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	reply(w)
}

// tokenWork does a token request's work under storeMu and returns how to
// answer it; writing the answer needs no store.
func (s *Server) tokenWork(r *http.Request) func(http.ResponseWriter) {
	s.storeMu.Lock()
	defer s.storeMu.Unlock()
	ctx := r.Context()
	// PostFormValue ignores a malformed body; fosite reports it below.
	grant := r.PostFormValue("grant_type")
	s.mu.Lock()
	s.counters.Token[grant]++
	s.mu.Unlock()
	fail := func(ar fosite.AccessRequester, err error) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) { s.provider.WriteAccessError(ctx, w, ar, err) }
	}
	ar, err := s.provider.NewAccessRequest(ctx, r, newSession(""))
	if err != nil {
		// fosite answers a rotated-out (or revoked) refresh token by
		// revoking its whole family.
		if grant == "refresh_token" && errors.Is(err, fosite.ErrInactiveToken) {
			s.mu.Lock()
			s.counters.RefreshReuse++
			s.mu.Unlock()
		}
		return fail(ar, err)
	}
	if ar.GetGrantTypes().ExactOne("refresh_token") && s.revoked(ar) {
		return fail(ar, fosite.ErrInvalidGrant.WithHint("The grant has been revoked by an administrator."))
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		return fail(ar, err)
	}
	s.mu.Lock()
	// fosite keeps the original request time across refreshes; "expire
	// now" needs each access token's own issue time.
	s.issued[resp.GetAccessToken()] = time.Now()
	reduced := s.reduced
	s.mu.Unlock()
	// A reduction masks the stored grant rather than rewriting it, so
	// undoing it gives the scopes back, as /whoami does.
	granted := without(ar.GetGrantedScopes(), reduced)
	resp.SetScopes(granted)
	if slices.Contains(granted, "openid") {
		idToken, err := s.idToken(ar.GetSession().GetSubject(), ar.GetClient().GetID(), granted)
		if err != nil {
			return fail(ar, fosite.ErrServerError.WithWrap(err))
		}
		resp.SetExtra("id_token", idToken)
	}
	return func(w http.ResponseWriter) { s.provider.WriteAccessResponse(ctx, w, ar, resp) }
}

// grace is the refresh grace window in force now.
func (s *Server) grace() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshGrace
}

func without(scopes []string, drop map[string]bool) []string {
	out := []string{}
	for _, sc := range scopes {
		if !drop[sc] {
			out = append(out, sc)
		}
	}
	return out
}

// revoked reports a grant made before an admin revoked its user.
func (s *Server) revoked(ar fosite.Requester) bool {
	sub := ar.GetSession().GetSubject()
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.revokedBefore[sub]
	return ok && !grantedAt(ar).After(t)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	s.storeMu.Lock()
	defer s.storeMu.Unlock()
	ctx := r.Context()
	s.mu.Lock()
	s.counters.Revoke++
	s.mu.Unlock()
	err := s.provider.NewRevocationRequest(ctx, r)
	s.provider.WriteRevocationResponse(ctx, w, err)
}

func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

func unauthorized(w http.ResponseWriter, desc string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="invalid_token", error_description=%q`, desc))
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": desc})
}

// whoami answers who an access token belongs to and what it may do now.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	s.storeMu.Lock()
	defer s.storeMu.Unlock()
	s.mu.Lock()
	s.counters.WhoAmI++
	s.mu.Unlock()
	tok := bearer(r)
	if tok == "" {
		unauthorized(w, "The access token is missing")
		return
	}
	use, ar, err := s.provider.IntrospectToken(r.Context(), tok, fosite.AccessToken, newSession(""))
	if err != nil || use != fosite.AccessToken {
		unauthorized(w, "The access token expired or is invalid")
		return
	}
	if s.revoked(ar) {
		unauthorized(w, "The access token has been revoked")
		return
	}
	s.mu.Lock()
	expiredBefore, reduced, issuedAt, scoped := s.expiredBefore, s.reduced, s.issued[tok], s.scopedClaims
	s.mu.Unlock()
	if !expiredBefore.IsZero() && !issuedAt.After(expiredBefore) {
		unauthorized(w, "The access token expired")
		return
	}
	sub := ar.GetSession().GetSubject()
	name, _, _ := strings.Cut(sub, "@")
	granted := without(ar.GetGrantedScopes(), reduced)
	body := map[string]string{"sub": sub, "email": sub, "name": name, "scope": strings.Join(granted, " ")}
	if scoped && !slices.Contains(granted, "email") {
		delete(body, "email")
	}
	if scoped && !slices.Contains(granted, "profile") {
		delete(body, "name")
	}
	writeJSON(w, http.StatusOK, body)
}

// apiWhoami answers for API keys registered through /control/api-keys.
func (s *Server) apiWhoami(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("X-API-Key")
	if key == "" {
		key = bearer(r)
	}
	s.mu.Lock()
	s.counters.APIWhoAmI++
	k, ok := s.apiKeys[key]
	s.mu.Unlock()
	if key == "" || !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_api_key"})
		return
	}
	writeJSON(w, http.StatusOK, k)
}
