package services

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

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
}

// ListProviders returns the catalog.
func (s *Service) ListProviders() []ProviderView {
	var out []ProviderView
	for _, p := range s.catalog.List() {
		v := ProviderView{ID: p.ID, Name: p.Name, Kind: p.Kind, Group: p.Group, Icon: p.Icon, Description: p.Description, DocsURL: p.Docs}
		for _, f := range p.Fields {
			v.Fields = append(v.Fields, FieldView{f.Key, f.Required, f.Secret, f.Kind, f.Pattern, f.Placeholder, f.Default, f.Options})
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

type cachedMetadata struct {
	md  oauth.Metadata
	at  time.Time
	err error
}

// discover fetches (and caches for an hour) an issuer's metadata.
func (s *Service) discover(ctx context.Context, issuer string) (oauth.Metadata, error) {
	s.mu.Lock()
	c, ok := s.metadata[issuer]
	s.mu.Unlock()
	if ok && c.err == nil && s.clock.Now().Sub(c.at) < time.Hour {
		return c.md, nil
	}
	md, err := oauth.Discover(ctx, s.http, issuer)
	if err != nil {
		return md, err
	}
	s.mu.Lock()
	s.metadata[issuer] = cachedMetadata{md: md, at: s.clock.Now()}
	s.mu.Unlock()
	return md, nil
}

// oauthSetup is everything needed to talk OAuth for one integration.
type oauthSetup struct {
	cfg      oauth.Config
	userinfo string
}

func (s *Service) oauthSetup(ctx context.Context, in integration.Integration, p catalog.Provider) (oauthSetup, error) {
	o := p.OAuth
	st := in.Settings
	cfg := oauth.Config{
		ClientID: st["client_id"], Scopes: scopesFor(p, st), ScopeSeparator: o.ScopeSeparator,
		ExtraParams: o.ExtraParams, HeaderAuth: o.AuthStyle == "header",
	}
	if secret, err := s.secrets.Get(ctx, in.ID, SlotClientSecret); err == nil {
		cfg.ClientSecret = secret
	} else if !errors.Is(err, secrets.ErrNotFound) {
		return oauthSetup{}, err
	}
	if o.ClientSecret == "required" && cfg.ClientSecret == "" {
		return oauthSetup{}, integration.NewProblem("error.client_secret_required")
	}
	var out oauthSetup
	render := func(t string) (string, error) {
		if t == "" {
			return "", nil
		}
		return p.Render(t, st)
	}
	var err error
	if p.Custom && st["issuer"] != "" {
		md, err := s.discover(ctx, st["issuer"])
		if err != nil {
			return out, fmt.Errorf("discover %s: %w", st["issuer"], err)
		}
		cfg.AuthURL, cfg.TokenURL, cfg.RevokeURL, cfg.DeviceURL = md.AuthorizationEndpoint, md.TokenEndpoint, md.RevocationEndpoint, md.DeviceAuthorizationEndpoint
		cfg.Issuer, cfg.IssSupported = md.Issuer, md.IssParameterSupported
		out.userinfo = md.UserinfoEndpoint
	} else {
		if cfg.AuthURL, err = render(o.AuthURL); err != nil {
			return out, err
		}
		if cfg.TokenURL, err = render(o.TokenURL); err != nil {
			return out, err
		}
		for _, t := range []struct {
			dst *string
			tpl string
		}{{&cfg.RevokeURL, o.RevokeURL}, {&cfg.DeviceURL, o.DeviceURL}} {
			// Optional endpoints: a custom provider may leave them empty.
			if v, err := render(t.tpl); err == nil {
				*t.dst = v
			}
		}
	}
	if p.Probe != nil {
		if u, err := s.probeURL(p, st); err == nil && u != "" {
			out.userinfo = u
		}
	}
	out.cfg = cfg
	return out, nil
}

func (s *Service) probeURL(p catalog.Provider, st map[string]string) (string, error) {
	return p.Render(p.Probe.URL, st)
}

// probeRequest builds the who-am-I request with a credential.
func (s *Service) probeRequest(p catalog.Provider, st map[string]string, url, credential string) (health.HTTPRequest, error) {
	pr := p.Probe
	r := health.HTTPRequest{Method: pr.Method, URL: url, Header: http.Header{}, AccountPath: pr.AccountPath,
		ScopesPath: pr.ScopesPath, ScopesHeader: pr.ScopesHeader, ScopeSeparator: pr.ScopeSeparator}
	for k, v := range pr.Headers {
		r.Header.Set(k, v)
	}
	// Custom providers name their header, prefix and account path in
	// settings; "{field}" in those probe fields refers to them.
	fromSettings := func(v string) string {
		if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
			return st[strings.Trim(v, "{}")]
		}
		return v
	}
	if ap := fromSettings(pr.AccountPath); ap != "" || p.Custom {
		r.AccountPath = ap
	}
	switch pr.Auth {
	case "bearer":
		r.Header.Set("Authorization", "Bearer "+credential)
	case "header":
		name, prefix := fromSettings(pr.AuthName), fromSettings(pr.AuthPrefix)
		if p.Custom && st["query_name"] != "" {
			r.URL = addQuery(r.URL, st["query_name"], prefix+credential)
			break
		}
		if name == "" {
			name = "Authorization"
		}
		if p.Custom && prefix == "" && strings.EqualFold(name, "Authorization") {
			prefix = "Bearer "
		}
		r.Header.Set(name, prefix+credential)
	case "query":
		r.URL = addQuery(r.URL, fromSettings(pr.AuthName), credential)
	case "basic":
		user, err := p.RenderText(pr.BasicUser, st)
		if err != nil {
			return r, err
		}
		r.BasicUser, r.BasicPass = user, credential
	case "basic_key":
		r.BasicUser = credential
	}
	return r, nil
}

func addQuery(u, name, value string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + neturl.QueryEscape(name) + "=" + neturl.QueryEscape(value)
}
