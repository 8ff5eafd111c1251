package services

import (
	"errors"
	"strings"

	"relink/backend/catalog"
	"relink/backend/integration"
	"relink/backend/oauth"
)

// RedirectView is the redirect URI an OAuth integration uses, as the Add
// and Reauthorize dialogs and the CLI show it before the browser opens.
type RedirectView struct {
	Kind string `json:"kind,omitempty"`
	// Register is what the user registers in the provider's app; with
	// AnyPort the provider accepts any port on it.
	Register string `json:"register,omitempty"`
	AnyPort  bool   `json:"anyPort,omitempty"`
	// RelayTarget is where an https redirect page must forward the query.
	RelayTarget string `json:"relayTarget,omitempty"`
	// Unset: the provider accepts only registered addresses and none is
	// set yet; Accepts lists the kinds it documents.
	Unset   bool     `json:"unset,omitempty"`
	Accepts []string `json:"accepts"`
	// Source is the provider's documentation of its redirect rules.
	Source string `json:"source"`
}

// Redirect returns the redirect an OAuth provider would use with these
// (not yet saved) settings; the Add dialog calls it as the user types.
func (s *Service) Redirect(providerID string, settings map[string]string) (RedirectView, error) {
	p, ok := s.catalog.Get(strings.TrimSpace(providerID))
	if !ok || p.Redirect == nil {
		return RedirectView{}, integration.NewError(integration.ErrInvalid, nil, "error.unknown_provider", "provider", providerID)
	}
	st := map[string]string{}
	for _, k := range []string{catalog.FieldRedirectURI, catalog.FieldRelayPort} {
		if v := strings.TrimSpace(settings[k]); v != "" {
			st[k] = v
		}
	}
	return redirectView(p, st)
}

func redirectView(p catalog.Provider, settings map[string]string) (RedirectView, error) {
	v := RedirectView{Accepts: p.Redirect.Accepts, Source: p.Redirect.Source}
	plan, err := p.RedirectFor(settings)
	var prob *integration.Problem
	if errors.As(err, &prob) && prob.Code == "error.redirect_required" {
		v.Unset = true
		return v, nil
	}
	if err != nil {
		return v, err
	}
	v.Kind, v.Register, v.AnyPort, v.RelayTarget = plan.Kind, plan.Register, plan.AnyPort, plan.RelayTarget()
	return v, nil
}

// integrationRedirect is the redirect view of a saved OAuth integration
// (nil for other kinds, or when its settings no longer fit the policy).
func (s *Service) integrationRedirect(in integration.Integration) *RedirectView {
	p, ok := s.catalog.Get(in.Provider)
	if !ok || p.Redirect == nil {
		return nil
	}
	v, err := redirectView(p, in.Settings)
	if err != nil {
		return nil
	}
	return &v
}

// oauthRedirect turns the integration's redirect policy into the flow's:
// the same URI on every attempt unless the provider accepts any port.
func (s *Service) oauthRedirect(p catalog.Provider, settings map[string]string) (oauth.Redirect, error) {
	plan, err := p.RedirectFor(settings)
	if err != nil {
		return oauth.Redirect{}, err
	}
	r := oauth.Redirect{URI: plan.URI, Host: plan.ListenHost, Port: plan.ListenPort}
	if plan.AnyPort {
		r.URI = ""
	}
	if plan.Kind == catalog.RedirectScheme {
		r.Handoff = oauth.Handoff{Dir: oauth.HandoffDir(s.getenv)}.Publish
	}
	return r, nil
}
