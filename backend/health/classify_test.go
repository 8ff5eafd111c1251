package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"relink/backend/integration"
)

func TestClassify(t *testing.T) {
	now := time.Now()
	S := func(s integration.Status, c integration.Cause, code string) Verdict {
		return Verdict{Status: s, Cause: c, Problem: &integration.Problem{Code: code}}
	}
	for _, tc := range []struct {
		name string
		o    Observation
		want Verdict
	}{
		{"ok", Observation{StatusCode: 200}, Verdict{Status: integration.StatusConnected}},
		{"401", Observation{StatusCode: 401}, S(integration.StatusNeedsReauth, integration.CauseTokenExpired, "problem.token_expired")},
		{"invalid_token", Observation{StatusCode: 400, OAuthError: "invalid_token"}, S(integration.StatusNeedsReauth, integration.CauseTokenExpired, "problem.token_expired")},
		{"invalid_grant revoked", Observation{StatusCode: 400, OAuthError: "invalid_grant", ErrorText: "Token has been revoked"}, S(integration.StatusNeedsReauth, integration.CauseAccessRevoked, "problem.access_revoked")},
		{"403", Observation{StatusCode: 403}, S(integration.StatusDegraded, integration.CauseAccountChange, "problem.privileges_reduced")},
		{"insufficient_scope", Observation{StatusCode: 403, OAuthError: "insufficient_scope"}, S(integration.StatusDegraded, integration.CauseAccountChange, "problem.privileges_reduced")},
		{"user removed", Observation{StatusCode: 403, ErrorText: "User was deactivated"}, S(integration.StatusNeedsReauth, integration.CauseAccountChange, "problem.user_removed")},
		{"429", Observation{StatusCode: 429, RetryAfter: "30"}, S(integration.StatusError, integration.CauseProviderIssue, "problem.rate_limited")},
		{"429 without Retry-After", Observation{StatusCode: 429}, S(integration.StatusError, integration.CauseProviderIssue, "problem.throttled")},
		{"API key rejected", Observation{StatusCode: 401, APIKey: true}, S(integration.StatusNeedsReauth, integration.CauseAccessRevoked, "problem.api_key_rejected")},
		{"invalid_client anywhere", Observation{At: "token", StatusCode: 401, OAuthError: "invalid_client"}, S(integration.StatusError, integration.CauseLocalProblem, "problem.oauth_client_invalid")},
		{"dead grant at the token endpoint", Observation{At: "token", StatusCode: 400, OAuthError: "invalid_grant", ErrorText: "Token has been expired or revoked."}, S(integration.StatusNeedsReauth, integration.CauseTokenExpired, "problem.token_expired")},
		{"revoked grant at the token endpoint", Observation{At: "token", StatusCode: 400, OAuthError: "invalid_grant", ErrorText: "Token has been revoked."}, S(integration.StatusNeedsReauth, integration.CauseAccessRevoked, "problem.access_revoked")},
		{"unknown token endpoint answer", Observation{At: "token", StatusCode: 400, OAuthError: "invalid_request"}, S(integration.StatusError, integration.CauseProviderIssue, "problem.provider_unexpected")},
		{"no metadata at the issuer", Observation{At: "discovery", StatusCode: 404}, S(integration.StatusError, integration.CauseLocalProblem, "problem.issuer_metadata")},
		{"discovery outage", Observation{At: "discovery", StatusCode: 503, RetryAfter: "120"}, S(integration.StatusError, integration.CauseProviderIssue, "problem.provider_outage")},
		{"bare 401 at the token endpoint is the client", Observation{At: "token", StatusCode: 401}, S(integration.StatusError, integration.CauseLocalProblem, "problem.oauth_client_invalid")},
		{"bare 403 at the token endpoint", Observation{At: "token", StatusCode: 403}, S(integration.StatusError, integration.CauseProviderIssue, "problem.provider_unexpected")},
		{"401 at discovery", Observation{At: "discovery", StatusCode: 401}, S(integration.StatusError, integration.CauseLocalProblem, "problem.issuer_metadata")},
		{"bare 401 at revocation is the client", Observation{At: "revoke", StatusCode: 401}, S(integration.StatusError, integration.CauseLocalProblem, "problem.oauth_client_invalid")},
		{"503", Observation{StatusCode: 503}, S(integration.StatusError, integration.CauseProviderIssue, "problem.provider_outage")},
		{"500", Observation{StatusCode: 500}, S(integration.StatusError, integration.CauseProviderIssue, "problem.provider_outage")},
		{"missing scopes", Observation{StatusCode: 200, RequiredScopes: []string{"a", "b"}, GrantedScopes: []string{"a"}}, S(integration.StatusDegraded, integration.CauseAccountChange, "problem.missing_scopes")},
		{"missing privileges", Observation{StatusCode: 200, MissingPrivileges: []string{"SELECT on x"}}, S(integration.StatusDegraded, integration.CauseAccountChange, "problem.db_privileges")},
		{"clock skew on 401", Observation{StatusCode: 401, ServerDate: now.Add(10 * time.Minute), Now: now}, S(integration.StatusError, integration.CauseLocalProblem, "problem.clock_skew")},
		{"skew but healthy", Observation{StatusCode: 200, ServerDate: now.Add(10 * time.Minute), Now: now}, Verdict{Status: integration.StatusConnected}},
		{"dns", Observation{Err: &net.DNSError{Name: "x.invalid", IsNotFound: true}}, S(integration.StatusError, integration.CauseLocalProblem, "problem.dns")},
		{"refused", Observation{Err: &net.OpError{Op: "dial", Err: errors.New("connect: connection refused")}}, S(integration.StatusError, integration.CauseProviderIssue, "problem.connection_refused")},
		{"a slow provider's timeout is the provider's", Observation{Err: context.DeadlineExceeded}, S(integration.StatusError, integration.CauseProviderIssue, "problem.timeout")},
		{"tls", Observation{Err: errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority")}, S(integration.StatusError, integration.CauseLocalProblem, "problem.tls")},
		{"keychain locked", Observation{Err: fmt.Errorf("get: %w", ErrKeychainLocked)}, S(integration.StatusError, integration.CauseLocalProblem, "problem.keychain_locked")},
		{"keychain unavailable", Observation{Err: ErrKeychainUnavailable}, S(integration.StatusError, integration.CauseLocalProblem, "problem.keychain_unavailable")},
		{"keychain too slow", Observation{Err: fmt.Errorf("get: %w", ErrKeychainTimeout)}, S(integration.StatusError, integration.CauseLocalProblem, "problem.keychain_timeout")},
		{"credential missing", Observation{Err: ErrCredentialMissing}, S(integration.StatusNeedsReauth, integration.CauseTokenExpired, "problem.credential_missing")},
		{"pg password", Observation{DBCode: "28P01"}, S(integration.StatusNeedsReauth, integration.CauseAccountChange, "problem.db_auth")},
		{"pg role", Observation{DBCode: "28000"}, S(integration.StatusNeedsReauth, integration.CauseAccountChange, "problem.db_auth")},
		{"pg db missing", Observation{DBCode: "3D000"}, S(integration.StatusError, integration.CauseAccountChange, "problem.db_missing")},
		{"pg privilege", Observation{DBCode: "42501"}, S(integration.StatusDegraded, integration.CauseAccountChange, "problem.db_privileges")},
		{"mysql access", Observation{DBCode: "1045"}, S(integration.StatusNeedsReauth, integration.CauseAccountChange, "problem.db_auth")},
		{"mysql db denied", Observation{DBCode: "1044"}, S(integration.StatusDegraded, integration.CauseAccountChange, "problem.db_privileges")},
		{"mysql table denied", Observation{DBCode: "1142"}, S(integration.StatusDegraded, integration.CauseAccountChange, "problem.db_privileges")},
		{"sqlserver login", Observation{DBCode: "18456"}, S(integration.StatusNeedsReauth, integration.CauseAccountChange, "problem.db_auth")},
		{"host key", Observation{Err: integration.NewError(ErrHostKeyChanged, nil, "problem.ssh_host_key_changed", "old", "a", "new", "b")}, S(integration.StatusNeedsReauth, "", "problem.ssh_host_key_changed")},
		{"unknown error", Observation{Err: errors.New("boom")}, S(integration.StatusError, integration.CauseAppProblem, "problem.app_error")},
		{"no status", Observation{}, S(integration.StatusError, integration.CauseAppProblem, "problem.app_error")},
		{"unknown db code", Observation{DBCode: "XX000"}, S(integration.StatusError, integration.CauseAppProblem, "problem.db_error")},
	} {
		got := Classify(tc.o)
		if got.Status != tc.want.Status || got.Cause != tc.want.Cause || (tc.want.Problem != nil && (got.Problem == nil || got.Problem.Code != tc.want.Problem.Code)) {
			t.Errorf("%s: got %v/%v/%v; want %v/%v/%v", tc.name, got.Status, got.Cause, got.Problem, tc.want.Status, tc.want.Cause, tc.want.Problem)
		}
		if tc.o.Err != nil && got.Status == integration.StatusConnected {
			t.Errorf("%s: an error classified as connected", tc.name)
		}
	}
}

func TestParseWWWAuthenticate(t *testing.T) {
	code, desc := parseWWWAuthenticate(`Bearer realm="x", error="invalid_token", error_description="The access token expired"`)
	if code != "invalid_token" || desc != "The access token expired" {
		t.Errorf("got %q %q", code, desc)
	}
}
