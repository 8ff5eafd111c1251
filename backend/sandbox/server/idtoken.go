package server

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/go-jose/go-jose/v3/jwt"
)

// idKeyID names the sandbox's one signing key in ID tokens and the JWKS.
const idKeyID = "sandbox-1"

// idToken issues an ID token (OpenID Connect Core §2) for a grant with the
// openid scope: RS256, iss/sub/aud/iat/exp, and the email and
// preferred_username claims when their scopes were granted (§5.4).
func (s *Server) idToken(sub, clientID string, granted []string) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.idKey},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", idKeyID))
	if err != nil {
		return "", err
	}
	now := time.Now()
	claims := map[string]any{"iss": s.issuer, "sub": sub, "aud": clientID, "iat": now.Unix(), "exp": now.Add(s.opts.AccessTTL).Unix()}
	if slices.Contains(granted, "email") {
		claims["email"] = sub
	}
	if slices.Contains(granted, "profile") {
		name, _, _ := strings.Cut(sub, "@")
		claims["preferred_username"] = name
	}
	return jwt.Signed(signer).Claims(claims).CompactSerialize()
}

// jwks serves the public key ID tokens are signed with.
func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &s.idKey.PublicKey, KeyID: idKeyID, Algorithm: string(jose.RS256), Use: "sig"}}})
}
