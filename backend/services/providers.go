package services

import (
	"context"
	"errors"
	"fmt"

	"relink/backend/catalog"
	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/secrets"
)

// FieldView is one provider setting as the add form shows it.
type FieldView struct {
	Key         string   `json:"key"`
	Required    bool     `json:"required"`
	Secret      bool     `json:"secret"`
	Kind        string   `json:"kind"`
	Pattern     string   `json:"pattern,omitempty"`
	Placeholder string   `json:"placeholder,omitempty"`
	Default     string   `json:"default,omitempty"`
	Options     []string `json:"options,omitempty"`
}

// ProviderView is one catalog entry for the picker and `relink providers`.
type ProviderView struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	Kind        integration.Kind `json:"kind"`
	Group       string           `json:"group"`
	Icon        string           `json:"icon"`
	Description string           `json:"description,omitempty"`
	DocsURL     string           `json:"docsUrl,omitempty"`
	Fields      []FieldView      `json:"fields"`
	// Redirect is an OAuth provider's redirect URI with default settings.
	Redirect *RedirectView `json:"redirect,omitempty"`
}

// ListProviders returns the catalog.
func (s *Service) ListProviders() []ProviderView {
	var out []ProviderView
	for _, p := range s.catalog.List() {
		v := ProviderView{ID: p.ID, Name: p.Name, Kind: p.Kind, Group: p.Group, Icon: p.Icon, Description: p.Description, DocsURL: p.Docs}
		for _, f := range p.Fields {
			v.Fields = append(v.Fields, FieldView{f.Key, f.Required, f.Secret, f.Kind, f.Pattern, f.Placeholder, f.Default, f.Options})
		}
		if r, err := s.Redirect(p.ID, nil); err == nil {
			v.Redirect = &r
		}
		out = append(out, v)
	}
	return out
}

func (s *Service) provider(in integration.Integration) (catalog.Provider, error) {
	p, ok := s.catalog.Get(in.Provider)
	if !ok {
		return p, integration.NewProblem("error.unknown_provider", "provider", in.Provider)
	}
	return p, nil
}

// oauthSetup is everything needed to talk OAuth for one integration.
type oauthSetup struct {
	cfg      oauth.Config
	userinfo string
	// oidc: the userinfo endpoint and jwks come from an OpenID provider's
	// discovery, so the account follows OpenID claims and an ID token is
	// verified against jwks.
	oidc bool
	jwks string
}

func (s *Service) oauthSetup(ctx context.Context, in integration.Integration, p catalog.Provider) (oauthSetup, error) {
	st := in.Settings
	e, err := p.OAuthEndpoints(st)
	if err != nil {
		return oauthSetup{}, err
	}
	cfg := oauth.Config{
		ClientID: st["client_id"], Scopes: e.Scopes, ScopeSeparator: e.ScopeSeparator, ExtraParams: e.ExtraParams,
		HeaderAuth: e.HeaderAuth, AuthURL: e.AuthURL, TokenURL: e.TokenURL, RevokeURL: e.RevokeURL, DeviceURL: e.DeviceURL,
		Keep: keepNames(p),
	}
	if secret, err := s.secrets.Get(ctx, in.ID, secrets.SlotClientSecret); err == nil {
		cfg.ClientSecret = secret
	} else if !errors.Is(err, secrets.ErrNotFound) {
		return oauthSetup{}, err
	}
	if p.OAuth.ClientSecret == "required" && cfg.ClientSecret == "" {
		return oauthSetup{}, integration.NewProblem("error.client_secret_required")
	}
	var out oauthSetup
	if e.Discover {
		md, err := s.metadata.Discover(ctx, e.Issuer)
		if err != nil {
			return out, fmt.Errorf("discover %s: %w", e.Issuer, err)
		}
		// Metadata fills what the user did not configure by hand.
		cfg.AuthURL, cfg.TokenURL = md.AuthorizationEndpoint, md.TokenEndpoint
		if cfg.RevokeURL == "" {
			cfg.RevokeURL = md.RevocationEndpoint
		}
		cfg.DeviceURL = md.DeviceAuthorizationEndpoint
		cfg.Issuer, cfg.IssSupported = md.Issuer, md.IssParameterSupported
		out.userinfo, out.jwks, out.oidc = md.UserinfoEndpoint, md.JwksURI, true
	}
	if pr, err := p.ProbeRequest(st); err == nil && pr.URL != "" {
		// The user's own who-am-I and account path win.
		out.userinfo, out.oidc = pr.URL, false
	}
	out.cfg = cfg
	return out, nil
}

// probeRequest builds the who-am-I request with a credential; url
// overrides the catalog's (a discovered userinfo endpoint).
func (s *Service) probeRequest(p catalog.Provider, st map[string]string, url, credential string) (health.HTTPRequest, error) {
	pr, err := p.ProbeRequest(st)
	if err != nil {
		return health.HTTPRequest{}, err
	}
	if url != "" {
		pr.URL = url
	}
	return health.HTTPRequest(pr.WithCredential(credential)), nil
}
