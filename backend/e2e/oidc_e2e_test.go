package e2e

import (
	"context"
	"testing"
	"time"

	"relink/backend/integration"
	"relink/backend/services"
)

// Acceptance: a Custom OAuth 2.0 integration on an OpenID provider shows
// its account. The sandbox's userinfo answers as OpenID Connect Core §5.4
// says (no email without the email scope): the account comes from the
// claims, with the ID token verified against the sandbox's JWKS; the
// wrong-account guard then works.
func TestCustomOAuthOnOpenIDProviderShowsItsAccount(t *testing.T) {
	needRig(t)
	sb := startSandbox(t)
	sb.control(t, "state", `{"scopedClaims":true}`)
	r := newRig(t, sb, headlessBrowser{})
	ctx := context.Background()
	v, err := r.svc.Add(ctx, services.AddRequest{Provider: "custom-oauth2", Name: "OpenID", Settings: map[string]string{
		"issuer": sb.URL, "client_id": "relink", "scopes": "openid offline"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.reauth(t, v.ID, time.Minute)
	if err != nil || got.Status != integration.StatusConnected || got.Account != "ana@example.com" {
		t.Fatalf("got %s/%q, %v; want connected as ana (the subject)", got.Status, got.Account, err)
	}
	if got := r.check(t, v.ID); got.Account != "ana@example.com" {
		t.Errorf("after a check the account is %q", got.Account)
	}
	sb.control(t, "state", `{"user":"bob@example.com"}`)
	_, err = r.svc.Reauthorize(ctx, v.ID, services.ReauthOptions{Timeout: time.Minute, ConfirmAccount: func(prev, next string) bool {
		if prev != "ana@example.com" || next != "bob@example.com" {
			t.Errorf("guard asked %q → %q; want ana → bob", prev, next)
		}
		return false
	}})
	if err == nil {
		t.Errorf("a grant for another account was kept without confirmation")
	}
}
