package services

import (
	"strings"
	"time"

	"relink/backend/catalog"
	"relink/backend/integration"
)

// scopesFor is what Relink asks for: the user's scope setting (custom
// providers) or the provider's defaults.
func scopesFor(p catalog.Provider, settings map[string]string) []string {
	if s := strings.TrimSpace(settings["scopes"]); s != "" {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	}
	if p.OAuth == nil {
		return nil
	}
	return p.OAuth.DefaultScopes
}

// requiredScopesFor is what the integration needs to work: for a custom
// provider everything the user asked for.
func requiredScopesFor(p catalog.Provider, settings map[string]string) []string {
	if p.OAuth == nil {
		return nil
	}
	if p.Custom {
		return scopesFor(p, settings)
	}
	return p.OAuth.RequiredScopes
}

// helpURLFor is the page that fixes a cause, falling back to support or
// docs.
func helpURLFor(p catalog.Provider, c integration.Cause) string {
	if u, ok := p.Help[string(c)]; ok {
		return u
	}
	if c == integration.CauseProviderIssue || c == integration.CauseAppProblem {
		return p.Support
	}
	return p.Docs
}

// refreshLifetime is the documented refresh token lifetime (0 = unknown).
func refreshLifetime(p catalog.Provider) time.Duration {
	return time.Duration(p.Lifetimes.RefreshToken)
}

// secretFieldOf is the provider's secret field key.
func secretFieldOf(p catalog.Provider) string {
	for _, f := range p.Fields {
		if f.Secret {
			return f.Key
		}
	}
	return ""
}
