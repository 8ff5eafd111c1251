package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"relink/backend/integration"
)

// ErrNotOAuth is returned when OAuth endpoints are asked of a provider
// that does not use OAuth.
var ErrNotOAuth = errors.New("provider does not use OAuth 2.0")

// ErrNoProbe is returned when a probe is asked of a provider without one
// (databases are probed by engine).
var ErrNoProbe = errors.New("provider has no HTTP probe")

// Endpoints are a provider's OAuth settings rendered for one integration.
type Endpoints struct {
	AuthURL   string
	TokenURL  string
	RevokeURL string // "" when the provider has no revocation endpoint
	DeviceURL string // "" when the provider has no device grant
	// Issuer is the authorization server's identifier. With Discover the
	// endpoints above are only the user's overrides: fetch the rest from
	// the issuer's metadata (RFC 8414, then OpenID Connect discovery).
	Issuer         string
	Discover       bool
	Scopes         []string
	ScopeSeparator string
	ExtraParams    map[string]string
	PKCE           bool
	// HeaderAuth sends a confidential client's credentials with HTTP Basic.
	HeaderAuth bool
}

// OAuthEndpoints renders the provider's OAuth endpoints and scopes from an
// integration's validated settings.
func (p Provider) OAuthEndpoints(settings map[string]string) (Endpoints, error) {
	o := p.OAuth
	if o == nil {
		return Endpoints{}, fmt.Errorf("%s: %w", p.ID, ErrNotOAuth)
	}
	e := Endpoints{
		Scopes: p.Scopes(settings), ScopeSeparator: o.ScopeSeparator, ExtraParams: maps.Clone(o.ExtraParams),
		PKCE: o.PKCE, HeaderAuth: o.AuthStyle == "header",
	}
	if e.ScopeSeparator == "" {
		e.ScopeSeparator = " "
	}
	var err error
	if e.Issuer, err = p.renderOptional(o.Issuer, settings); err != nil {
		return Endpoints{}, err
	}
	e.Discover = o.Discovery && e.Issuer != ""
	for _, t := range []struct {
		dst      *string
		tmpl     string
		required bool
	}{
		{&e.AuthURL, o.AuthURL, !e.Discover},
		{&e.TokenURL, o.TokenURL, !e.Discover},
		{&e.RevokeURL, o.RevokeURL, false},
		{&e.DeviceURL, o.DeviceURL, false},
	} {
		if t.required {
			*t.dst, err = p.Render(t.tmpl, settings)
		} else {
			*t.dst, err = p.renderOptional(t.tmpl, settings)
		}
		if err != nil {
			return Endpoints{}, err
		}
	}
	return e, nil
}

// renderOptional renders a template whose only placeholder is an optional
// user URL (a custom provider's revocation endpoint): empty stays empty.
func (p Provider) renderOptional(tmpl string, settings map[string]string) (string, error) {
	if isPlaceholder(tmpl) {
		if f, ok := p.field(tmpl[1 : len(tmpl)-1]); ok && !f.Required && settings[f.Key] == "" {
			return "", nil
		}
	}
	return p.Render(tmpl, settings)
}

// Scopes are the scopes to request: the user's (custom providers, space or
// comma separated) or the provider's defaults.
func (p Provider) Scopes(settings map[string]string) []string {
	if s := userScopes(settings); len(s) > 0 {
		if _, ok := p.field("scopes"); ok {
			return s
		}
	}
	if p.OAuth == nil {
		return nil
	}
	return p.OAuth.DefaultScopes
}

// RequiredScopes are the scopes the integration cannot work without: the
// provider's, or for a custom provider the ones the user asked for.
func (p Provider) RequiredScopes(settings map[string]string) []string {
	if p.OAuth == nil {
		return nil
	}
	if _, ok := p.field("scopes"); ok {
		return userScopes(settings)
	}
	return p.OAuth.RequiredScopes
}

func userScopes(settings map[string]string) []string {
	s := strings.FieldsFunc(settings["scopes"], func(r rune) bool { return r == ' ' || r == ',' })
	if len(s) == 0 {
		return nil
	}
	return s
}

// ProbeRequest is a provider's who-am-I request rendered for one
// integration, before the credential is added (see WithCredential).
type ProbeRequest struct {
	Method string
	// URL is empty when a custom OAuth provider leaves the userinfo
	// endpoint to discovery: the caller sets it from the metadata.
	URL    string
	Header http.Header // fixed, non-secret headers
	// Auth, Name, Prefix and BasicUser say where the credential goes (see
	// Probe.Auth); Name is never empty for header or query auth.
	Auth      string
	Name      string
	Prefix    string
	BasicUser string

	AccountPath    string
	ScopesPath     string
	ScopesHeader   string
	ScopeSeparator string
}

// ProbeRequest renders the provider's health probe from an integration's
// validated settings.
func (p Provider) ProbeRequest(settings map[string]string) (ProbeRequest, error) {
	pr := p.Probe
	if pr == nil {
		return ProbeRequest{}, fmt.Errorf("%s: %w", p.ID, ErrNoProbe)
	}
	r := ProbeRequest{Method: pr.Method, Header: http.Header{}, Auth: pr.Auth,
		ScopesPath: pr.ScopesPath, ScopesHeader: pr.ScopesHeader, ScopeSeparator: pr.ScopeSeparator}
	for k, v := range pr.Headers {
		r.Header.Set(k, v)
	}
	var err error
	if r.URL, err = p.renderOptional(pr.URL, settings); err != nil {
		return ProbeRequest{}, err
	}
	text := []struct {
		dst  *string
		tmpl string
	}{{&r.Name, pr.AuthName}, {&r.Prefix, pr.AuthPrefix}, {&r.BasicUser, pr.BasicUser}, {&r.AccountPath, pr.AccountPath}}
	for _, t := range text {
		if *t.dst, err = p.RenderText(t.tmpl, settings); err != nil {
			return ProbeRequest{}, err
		}
	}
	query, err := p.RenderText(pr.AuthQuery, settings)
	if err != nil {
		return ProbeRequest{}, err
	}
	switch {
	case query != "":
		r.Auth, r.Name, r.Prefix = "query", query, ""
	case r.Auth == "header" && r.Name == "":
		// No header named: the standard one (RFC 6750), with the user's
		// scheme word if they gave one.
		r.Name = "Authorization"
		if r.Prefix == "" {
			r.Prefix = "Bearer"
		}
	}
	return r, nil
}

// WithCredential returns the request ready to send, the credential placed
// as the provider wants it; health sends it.
func (r ProbeRequest) WithCredential(credential string) SignedProbe {
	s := SignedProbe{Method: r.Method, URL: r.URL, Header: r.Header.Clone(), AccountPath: r.AccountPath,
		ScopesPath: r.ScopesPath, ScopesHeader: r.ScopesHeader, ScopeSeparator: r.ScopeSeparator}
	if s.Header == nil {
		s.Header = http.Header{}
	}
	switch r.Auth {
	case "bearer":
		s.Header.Set("Authorization", "Bearer "+credential)
	case "header":
		v := credential
		if r.Prefix != "" {
			// A prefix is a scheme word ("Bearer", "Token"); settings are
			// trimmed, so the space is added here.
			v = strings.TrimRight(r.Prefix, " ") + " " + credential
		}
		s.Header.Set(r.Name, v)
	case "query":
		s.URL = addQuery(r.URL, r.Name, credential)
	case "basic":
		s.BasicUser, s.BasicPass = r.BasicUser, credential
	case "basic_key":
		s.BasicUser = credential
	}
	return s
}

func addQuery(u, name, value string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + url.QueryEscape(name) + "=" + url.QueryEscape(value)
}

// SignedProbe is a probe carrying its credential. It redacts itself when
// printed or marshalled so the credential cannot reach a log.
type SignedProbe struct {
	Method         string
	URL            string
	Header         http.Header
	BasicUser      string
	BasicPass      string
	AccountPath    string
	ScopesPath     string
	ScopesHeader   string
	ScopeSeparator string
}

// String describes the request without the URL's query, headers or user.
func (s SignedProbe) String() string {
	u := s.URL
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i] + "?[redacted]"
	}
	return s.Method + " " + u
}

// MarshalJSON writes only the redacted description.
func (s SignedProbe) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// DocsURL is where a new OAuth client or API key is created.
func (p Provider) DocsURL() string { return p.Docs }

// HelpURL is the page that helps with a cause: the entry's own, the
// support page for provider and app problems, else the docs.
func (p Provider) HelpURL(c integration.Cause) string {
	if u, ok := p.Help[string(c)]; ok {
		return u
	}
	if c == integration.CauseProviderIssue || c == integration.CauseAppProblem {
		return p.Support
	}
	return p.Docs
}
