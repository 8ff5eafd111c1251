package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"relink/backend/integration"
)

// ErrIDToken marks an ID token that failed verification: the grant that
// carried it is not trusted.
var ErrIDToken = errors.New("ID token invalid")

// idTokenAlgs are the signature algorithms accepted (OpenID Connect Core
// §3.1.3.7; "none" and HMAC with a public client's id never are).
var idTokenAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// idTokenLeeway absorbs small clock differences on exp/iat/nbf.
const idTokenLeeway = 2 * time.Minute

// IDClaims are the ID token claims Relink reads.
type IDClaims struct {
	Subject           string `json:"sub"`
	Email             string `json:"email"`
	PreferredUsername string `json:"preferred_username"`
}

// VerifyIDToken checks an ID token as OpenID Connect Core §3.1.3.7 asks:
// its signature against the issuer's JWKS, iss equal to the issuer, aud
// holding the client id (and azp naming it when there are several), and
// exp in the future.
func VerifyIDToken(ctx context.Context, client *http.Client, raw, issuer, clientID, jwksURI string, now time.Time) (IDClaims, error) {
	fail := func(reason string, err error) (IDClaims, error) {
		return IDClaims{}, integration.NewError(ErrIDToken, err, "error.oauth_id_token", "reason", reason)
	}
	tok, err := jwt.ParseSigned(raw, idTokenAlgs)
	if err != nil {
		return fail("malformed", err)
	}
	if len(tok.Headers) != 1 {
		return fail("malformed", nil)
	}
	keys, err := fetchJWKS(ctx, client, jwksURI)
	if err != nil {
		return fail("keys", err)
	}
	candidates := keys.Keys
	if kid := tok.Headers[0].KeyID; kid != "" {
		candidates = keys.Key(kid)
	}
	var std jwt.Claims
	var extra struct {
		IDClaims
		AuthorizedParty string `json:"azp"`
	}
	verified := false
	for _, k := range candidates {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if tok.Claims(k.Key, &std, &extra) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return fail("signature", nil)
	}
	if std.Expiry == nil {
		return fail("expiry", nil)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: issuer, AnyAudience: jwt.Audience{clientID}, Time: now}, idTokenLeeway); err != nil {
		return fail("claims", err)
	}
	if len(std.Audience) > 1 && extra.AuthorizedParty != clientID {
		return fail("claims", nil)
	}
	extra.Subject = std.Subject
	return extra.IDClaims, nil
}

func fetchJWKS(ctx context.Context, client *http.Client, uri string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if uri == "" {
		return set, errors.New("the issuer publishes no jwks_uri")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return set, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return set, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return set, fmt.Errorf("fetch JWKS: %s answered %d", uri, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return set, fmt.Errorf("read JWKS: %w", err)
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return set, fmt.Errorf("parse JWKS: %w", err)
	}
	return set, nil
}
