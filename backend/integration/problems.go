package integration

// Outcome is the status and cause a problem code always comes with.
type Outcome struct {
	Status Status
	Cause  Cause
}

// problemOutcomes is the one mapping from what a provider said to what the
// user must do, shared by the generic classifier and every catalogue rule:
//   - signing in again repairs it: needs_reauth;
//   - some access still works: degraded with account_changed;
//   - an admin or the account owner must act first, reauthorizing will not
//     help: error with account_changed;
//   - the user's own OAuth client is gone or wrong: error with local_problem;
//   - rate limits, quotas and outages: error with provider_issue.
var problemOutcomes = map[string]Outcome{
	// Signing in again repairs these.
	"problem.token_expired":           {StatusNeedsReauth, CauseTokenExpired},
	"problem.access_revoked":          {StatusNeedsReauth, CauseAccessRevoked},
	"problem.app_uninstalled":         {StatusNeedsReauth, CauseAccessRevoked},
	"problem.consent_revoked":         {StatusNeedsReauth, CauseAccessRevoked},
	"problem.api_key_rejected":        {StatusNeedsReauth, CauseAccessRevoked},
	"problem.password_changed":        {StatusNeedsReauth, CauseAccountChange},
	"problem.user_removed":            {StatusNeedsReauth, CauseAccountChange},
	"problem.mfa_required":            {StatusNeedsReauth, CauseAccountChange},
	"problem.account_action_required": {StatusNeedsReauth, CauseAccountChange},
	// Some access still works.
	"problem.privileges_reduced": {StatusDegraded, CauseAccountChange},
	"problem.missing_scopes":     {StatusDegraded, CauseAccountChange},
	// Only an admin or the account owner can fix these.
	"problem.api_disabled":      {StatusError, CauseAccountChange},
	"problem.admin_blocked":     {StatusError, CauseAccountChange},
	"problem.account_suspended": {StatusError, CauseAccountChange},
	"problem.license_removed":   {StatusError, CauseAccountChange},
	"problem.no_ads_account":    {StatusError, CauseAccountChange},
	// The user's OAuth app must be fixed, not the grant.
	"problem.oauth_client_invalid":        {StatusError, CauseLocalProblem},
	"problem.oauth_client_secret_expired": {StatusError, CauseLocalProblem},
	// The provider's side.
	"problem.rate_limited":        {StatusError, CauseProviderIssue},
	"problem.throttled":           {StatusError, CauseProviderIssue},
	"problem.quota_exceeded":      {StatusError, CauseProviderIssue},
	"problem.provider_outage":     {StatusError, CauseProviderIssue},
	"problem.provider_unexpected": {StatusError, CauseProviderIssue},
}

// ProblemOutcome returns the status and cause that go with a problem code
// a provider's answer can yield; ok is false for codes outside the mapping
// (local and database problems, which the classifier decides itself).
func ProblemOutcome(code string) (Outcome, bool) {
	o, ok := problemOutcomes[code]
	return o, ok
}

// FixedElsewhere reports failures new credentials cannot fix: an admin or
// the account owner must act at the provider (error with account_changed),
// or the user's OAuth app registration must be fixed. The window, the tray
// and the CLI send the user to the provider's page for them, never into a
// reauthorization loop.
func FixedElsewhere(s Status, c Cause, p *Problem) bool {
	return s == StatusError && (c == CauseAccountChange || FixInOAuthApp(p))
}

// FixInOAuthApp reports problems whose fix is in the user's OAuth client
// registration at the provider.
func FixInOAuthApp(p *Problem) bool {
	return p != nil && (p.Code == "problem.oauth_client_invalid" || p.Code == "problem.oauth_client_secret_expired")
}

// Reauthorizable reports whether new credentials (a reauthorization, a new
// key or password) repair an integration in this state. Outages, local
// problems and failures fixed elsewhere are not: offering it would send the
// user round a loop.
func Reauthorizable(s Status, c Cause, p *Problem) bool {
	if !NeedsAttention(s) || FixedElsewhere(s, c, p) {
		return false
	}
	switch c {
	case CauseProviderIssue, CauseLocalProblem, CauseAppProblem:
		return false
	}
	return true
}
