package oauth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"relink/backend/integration"
)

// Metadata is what Relink uses of RFC 8414 / OpenID discovery.
type Metadata struct {
	Issuer                        string   `json:"issuer"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	RevocationEndpoint            string   `json:"revocation_endpoint,omitempty"`
	DeviceAuthorizationEndpoint   string   `json:"device_authorization_endpoint,omitempty"`
	UserinfoEndpoint              string   `json:"userinfo_endpoint,omitempty"`
	JwksURI                       string   `json:"jwks_uri,omitempty"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported,omitempty"`
	ScopesSupported               []string `json:"scopes_supported,omitempty"`
	IssParameterSupported         bool     `json:"authorization_response_iss_parameter_supported,omitempty"`
}

// Discovery errors.
var (
	ErrIssuerMismatch = errors.New("metadata issuer differs from the configured issuer")
	ErrNoS256         = errors.New("server does not support PKCE S256")
	ErrMetadata       = errors.New("authorization server metadata unusable")
)

// Discover fetches the issuer's metadata: RFC 8414 first (path-inserted
// well-known URL), then OpenID discovery. The document's issuer must equal
// the configured one exactly (RFC 8414 §3.3), and a server that lists its
// PKCE methods must list S256. A server that lists none is assumed to take
// S256, which Relink always sends.
func Discover(ctx context.Context, client *http.Client, issuer string) (Metadata, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return Metadata{}, fmt.Errorf("%w: issuer %q is not a URL", ErrMetadata, issuer)
	}
	path := strings.TrimSuffix(u.Path, "/")
	candidates := []string{
		u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + path,
		strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration",
	}
	var lastErr error
	for i, c := range candidates {
		md, err := fetchMetadata(ctx, client, c)
		if err != nil {
			// A well-known URL the server does not serve says less than an
			// outage or a refused connection at the other one.
			var he *HTTPError
			if lastErr == nil || !errors.As(err, &he) || he.Status != http.StatusNotFound {
				lastErr = err
			}
			continue
		}
		if err := md.Check(issuer); err != nil {
			return Metadata{}, err
		}
		if i == 0 && (md.UserinfoEndpoint == "" || md.JwksURI == "") {
			// userinfo_endpoint and jwks_uri are OpenID Connect's: an
			// OpenID provider may publish them only in its own document.
			if oidc, err := fetchMetadata(ctx, client, candidates[1]); err == nil && oidc.Issuer == md.Issuer {
				md.UserinfoEndpoint = cmp.Or(md.UserinfoEndpoint, oidc.UserinfoEndpoint)
				md.JwksURI = cmp.Or(md.JwksURI, oidc.JwksURI)
			}
		}
		return md, nil
	}
	return Metadata{}, lastErr
}

func fetchMetadata(ctx context.Context, client *http.Client, u string) (Metadata, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Metadata{}, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Metadata{}, integration.NewError(ErrNetwork, err, "error.network")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Metadata{}, fmt.Errorf("read metadata: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Metadata{}, fmt.Errorf("%w: %w", ErrMetadata, &HTTPError{Op: "discovery", URL: u, Status: resp.StatusCode, Header: resp.Header, Body: body})
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return Metadata{}, fmt.Errorf("%w: content type %q", ErrMetadata, mt)
	}
	return ParseMetadata(body)
}

// ParseMetadata decodes and sanity-checks a metadata document.
func ParseMetadata(body []byte) (Metadata, error) {
	var md Metadata
	if err := json.Unmarshal(body, &md); err != nil {
		return Metadata{}, fmt.Errorf("%w: %v", ErrMetadata, err)
	}
	if md.Issuer == "" || md.AuthorizationEndpoint == "" || md.TokenEndpoint == "" {
		return Metadata{}, fmt.Errorf("%w: issuer, authorization_endpoint and token_endpoint are required", ErrMetadata)
	}
	for _, e := range []string{md.AuthorizationEndpoint, md.TokenEndpoint, md.RevocationEndpoint, md.DeviceAuthorizationEndpoint, md.UserinfoEndpoint, md.JwksURI} {
		if e == "" {
			continue
		}
		if pu, err := url.Parse(e); err != nil || !pu.IsAbs() || (pu.Scheme != "https" && pu.Scheme != "http") {
			return Metadata{}, fmt.Errorf("%w: endpoint %q", ErrMetadata, e)
		}
	}
	return md, nil
}

// Check enforces the issuer match and S256 support.
func (md Metadata) Check(issuer string) error {
	if md.Issuer != issuer {
		return integration.NewError(ErrIssuerMismatch, nil, "error.oauth_issuer_mismatch", "expected", issuer, "got", md.Issuer)
	}
	if len(md.CodeChallengeMethodsSupported) > 0 {
		for _, m := range md.CodeChallengeMethodsSupported {
			if m == "S256" {
				return nil
			}
		}
		return integration.NewError(ErrNoS256, nil, "error.oauth_no_s256")
	}
	return nil
}

// DiscoveryCache keeps each issuer's metadata for an hour, so checks and
// reauthorizations do not fetch it every time. Failures are not kept: the
// next use asks again.
type DiscoveryCache struct {
	client *http.Client
	now    func() time.Time
	mu     sync.Mutex
	byURL  map[string]cachedMetadata
}

type cachedMetadata struct {
	md Metadata
	at time.Time
}

// discoveryTTL is how long fetched metadata is used.
const discoveryTTL = time.Hour

// NewDiscoveryCache fetches with client; now is the clock.
func NewDiscoveryCache(client *http.Client, now func() time.Time) *DiscoveryCache {
	return &DiscoveryCache{client: client, now: now, byURL: map[string]cachedMetadata{}}
}

// Discover returns issuer's metadata, from the cache while it is fresh.
func (c *DiscoveryCache) Discover(ctx context.Context, issuer string) (Metadata, error) {
	c.mu.Lock()
	hit, ok := c.byURL[issuer]
	c.mu.Unlock()
	if ok && c.now().Sub(hit.at) < discoveryTTL {
		return hit.md, nil
	}
	md, err := Discover(ctx, c.client, issuer)
	if err != nil {
		return md, err
	}
	c.mu.Lock()
	c.byURL[issuer] = cachedMetadata{md: md, at: c.now()}
	c.mu.Unlock()
	return md, nil
}
