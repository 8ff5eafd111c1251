package services

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"relink/backend/integration"
	"relink/backend/oauth"
)

// oidcProvider is a standard OpenID provider as many are deployed: only
// OpenID discovery (no RFC 8414 document), a userinfo endpoint that
// releases email only for the email scope (OpenID Connect Core §5.4), and
// RS256 ID tokens whose keys are in jwks_uri.
type oidcProvider struct {
	*httptest.Server
	key *rsa.PrivateKey

	mu     sync.Mutex
	sub    string
	claims map[string]any // overrides of the next ID token's claims
	signer *rsa.PrivateKey
}

func newOIDCProvider(t *testing.T) *oidcProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	op := &oidcProvider{key: key, signer: key, sub: "248289761001"}
	op.Server = httptest.NewServer(http.HandlerFunc(op.serve))
	t.Cleanup(op.Close)
	return op
}

func (op *oidcProvider) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	iss := op.URL
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
			"userinfo_endpoint": iss + "/userinfo", "jwks_uri": iss + "/jwks", "code_challenge_methods_supported": []string{"S256"},
			"id_token_signing_alg_values_supported": []string{"RS256"}, "subject_types_supported": []string{"public"}, "response_types_supported": []string{"code"}})
	case "/jwks":
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &op.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	case "/authorize":
		q := r.URL.Query()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {"c"}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	case "/token":
		r.ParseForm()
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at-oidc", "refresh_token": "rt-oidc", "token_type": "Bearer",
			"expires_in": 3600, "scope": "openid", "id_token": op.idToken(r.PostForm.Get("client_id"))})
	case "/userinfo":
		op.mu.Lock()
		sub := op.sub
		op.mu.Unlock()
		// Only openid was granted: the subject is all userinfo releases.
		io.WriteString(w, `{"sub":"`+sub+`"}`)
	default:
		http.NotFound(w, r)
	}
}

func (op *oidcProvider) idToken(clientID string) string {
	op.mu.Lock()
	defer op.mu.Unlock()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: op.signer}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		panic(err)
	}
	now := time.Now()
	claims := map[string]any{"iss": op.URL, "sub": op.sub, "aud": clientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"email": "ana@example.com"}
	for k, v := range op.claims {
		claims[k] = v
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		panic(err)
	}
	return raw
}

func addOIDC(t *testing.T, s *Service, op *oidcProvider) IntegrationView {
	t.Helper()
	v, err := s.Add(context.Background(), AddRequest{Provider: "custom-oauth2", Name: "OIDC", Settings: map[string]string{
		"issuer": op.URL, "client_id": "relink", "scopes": "openid"}})
	if err != nil {
		t.Fatal(err)
	}
	s.opener = callbackTimer{at: make(chan time.Time, 4)}
	return v
}

// Misreading: a standard OIDC provider added as Custom OAuth 2.0 showed no
// account ("—"), so the wrong-account guard could not work either.
func TestCustomOAuthOnOIDCProviderShowsItsAccount(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	op := newOIDCProvider(t)
	v := addOIDC(t, s, op)
	got, err := s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 10 * time.Second})
	if err != nil || got.Status != integration.StatusConnected {
		t.Fatalf("authorize: %s %v; want connected", got.Status, err)
	}
	// userinfo names only the subject; the verified ID token has the email.
	if got.Account != "ana@example.com" {
		t.Errorf("account after authorization %q; want the ID token's email", got.Account)
	}
	views, _ := s.Check(ctx, v.ID)
	if views[0].Account == "" {
		t.Errorf("account after a check is empty; want it kept")
	}

	// The wrong-account guard now works: another subject is refused
	// unless confirmed.
	op.mu.Lock()
	op.sub, op.claims = "999", map[string]any{"email": "bob@example.com"}
	op.mu.Unlock()
	_, err = s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 10 * time.Second, ConfirmAccount: func(prev, next string) bool {
		if prev != "ana@example.com" || next == "" || next == prev {
			t.Errorf("guard asked about %q → %q; want ana → another account", prev, next)
		}
		return false
	}})
	var p *integration.Problem
	if !errors.As(err, &p) || p.Code != "error.account_change_declined" {
		t.Errorf("reauthorize as another account: %v; want error.account_change_declined", err)
	}
}

// The account chain without an ID token: email, else preferred_username,
// else sub.
func TestOIDCAccountFallsBackToSubject(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	op := newOIDCProvider(t)
	v := addOIDC(t, s, op)
	if _, err := s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	// A row whose account was lost is filled from userinfo's subject.
	s.mutate(ctx, v.ID, func(x *integration.Integration) (integration.Event, bool) {
		x.Account = ""
		return integration.Event{}, false
	}, nil)
	views, _ := s.Check(ctx, v.ID)
	if views[0].Account != "248289761001" {
		t.Errorf("account %q; want the subject from userinfo", views[0].Account)
	}
}

// An ID token that does not verify discards the grant: nothing is kept.
func TestUnverifiedIDTokenIsRefused(t *testing.T) {
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		claims map[string]any
		signer *rsa.PrivateKey
	}{
		{"signed by another key", nil, other},
		{"another issuer", map[string]any{"iss": "https://evil.example"}, nil},
		{"another audience", map[string]any{"aud": "someone-else"}, nil},
		{"expired", map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, _, _ := newService(t)
			op := newOIDCProvider(t)
			op.claims = tc.claims
			if tc.signer != nil {
				op.signer = tc.signer
			}
			v := addOIDC(t, s, op)
			got, err := s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 10 * time.Second})
			if !errors.Is(err, oauth.ErrIDToken) {
				t.Fatalf("got %v; want ErrIDToken", err)
			}
			if got.Status == integration.StatusConnected {
				t.Errorf("status %s after a bad ID token", got.Status)
			}
			if _, err := s.tokens.RefreshToken(ctx, v.ID); err == nil {
				t.Errorf("the refused grant's refresh token was stored")
			}
		})
	}
}
