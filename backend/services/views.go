package services

import (
	"time"

	"relink/backend/health"
	"relink/backend/integration"
)

// IntegrationView is what the window and `relink list --json` see: the
// stored metadata plus the derived fields the UI needs. It never holds a
// secret.
type IntegrationView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// NameKey orders names the way people count, in the user's language
	// (integration.NameKeys): the window sorts by it.
	NameKey          string               `json:"nameKey"`
	Provider         string               `json:"provider"`
	ProviderName     string               `json:"providerName"`
	Kind             integration.Kind     `json:"kind"`
	Group            string               `json:"group"`
	Icon             string               `json:"icon"`
	Settings         map[string]string    `json:"settings"`
	Account          string               `json:"account"`
	RequiredScopes   []string             `json:"requiredScopes"`
	GrantedScopes    []string             `json:"grantedScopes"`
	MissingScopes    []string             `json:"missingScopes"`
	Status           integration.Status   `json:"status"`
	Severity         int                  `json:"severity"`
	Cause            integration.Cause    `json:"cause"`
	Problem          *integration.Problem `json:"problem,omitempty"`
	Paused           bool                 `json:"paused"`
	LastChecked      *time.Time           `json:"lastChecked,omitempty"`
	LastHealthy      *time.Time           `json:"lastHealthy,omitempty"`
	AccessExpiresAt  *time.Time           `json:"accessExpiresAt,omitempty"`
	RefreshExpiresAt *time.Time           `json:"refreshExpiresAt,omitempty"`
	DocsURL          string               `json:"docsUrl,omitempty"`
	HelpURL          string               `json:"helpUrl,omitempty"`
	NeedsAttention   bool                 `json:"needsAttention"`
	// LastUpdate is Commerce Intelligence's last completed data update.
	LastUpdate *health.UpdateCycleView `json:"lastUpdate,omitempty"`
	// IntegrationsURL is where the provider's own integrations (those it
	// holds credentials for) are reauthorized: not in Relink.
	IntegrationsURL string `json:"integrationsUrl,omitempty"`
	// Redirect is the redirect URI of an OAuth integration, shown before
	// the browser opens.
	Redirect *RedirectView `json:"redirect,omitempty"`
	// Rechecking means a background check failed once and Relink is
	// checking again before believing it: Status is then "checking",
	// never the healthy state it cannot vouch for.
	Rechecking bool `json:"rechecking,omitempty"`
	// ReauthField is the secret field a reauthorization asks for (api_key,
	// password): its keychain slot and catalogue field. Empty for OAuth,
	// which reauthorizes in the browser.
	ReauthField string `json:"reauthField,omitempty"`
}

// AddRequest creates an integration. Secret is the provider's secret field
// (API key, database password or optional OAuth client secret); it goes to
// the keychain only.
type AddRequest struct {
	Provider string            `json:"provider"`
	Name     string            `json:"name"`
	Settings map[string]string `json:"settings"`
	Secret   string            `json:"secret,omitempty"`
	// Secrets holds further secret fields by key (an SSH private key beside
	// a database password).
	Secrets map[string]string `json:"secrets,omitempty"`
	// NoVerify saves an API key or database without contacting it (one
	// that is down today can still be registered); the first check says
	// how it is.
	NoVerify bool `json:"noVerify,omitempty"`
}

// RemoveResult reports whether the provider revoked the credentials; local
// deletion always happens. Problem says why access could not be revoked,
// and RevokeURL is the provider's page where the user can revoke it.
type RemoveResult struct {
	Revoked   bool                 `json:"revoked"`
	Problem   *integration.Problem `json:"problem,omitempty"`
	RevokeURL string               `json:"revokeUrl,omitempty"`
}

// HistoryFilter selects history events for the History view and CSV export.
type HistoryFilter struct {
	IntegrationID string               `json:"integrationId,omitempty"`
	Statuses      []integration.Status `json:"statuses,omitempty"`
	Causes        []integration.Cause  `json:"causes,omitempty"`
	Kinds         []string             `json:"kinds,omitempty"`
	Since         string               `json:"since,omitempty"`
	Until         string               `json:"until,omitempty"`
	BeforeID      int64                `json:"beforeId,omitempty"`
	Limit         int                  `json:"limit,omitempty"`
}

// HistoryPage is one page of events, newest first.
type HistoryPage struct {
	Events       []integration.Event `json:"events"`
	NextBeforeID int64               `json:"nextBeforeId,omitempty"`
}

// Removed is the payload of EventIntegrationRemoved.
type Removed struct {
	ID string `json:"id"`
}

// Events sent to the frontend; frontend/src/lib/events.ts is checked
// against them (bridge_test.go at the root).
const (
	EventIntegrationChanged = "integration:changed"
	// EventIntegrationsChanged carries many views: the window gets
	// EventIntegrationChanged batched into it (desktop.Batcher).
	EventIntegrationsChanged = "integrations:changed"
	EventIntegrationRemoved  = "integration:removed"
	EventReload              = "integrations:reload"
	EventSettingsChanged     = "settings:changed"
	// EventBenchMark comes from the page: a paint timing for bench/scale.
	EventBenchMark = "bench:mark"
)

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
