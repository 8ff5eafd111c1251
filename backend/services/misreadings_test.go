package services

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"relink/backend/catalog"
	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/secrets"
	"relink/backend/tokens"
)

// The misreadings listed in issue 16, each a named test: they failed on
// the classifier that spoke only RFC 6749/6750.

type misreading struct {
	name     string
	provider string
	fixture  dialectFixture
	status   integration.Status
	cause    integration.Cause
	problem  string
}

func checkMisreadings(t *testing.T, cases []misreading) {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := cat.Get(tc.provider)
			v := readFixture(t, p, tc.fixture)
			code := ""
			if v.Problem != nil {
				code = v.Problem.Code
			}
			if v.Status != tc.status || v.Cause != tc.cause || code != tc.problem {
				t.Errorf("%s: got %s/%s %s; want %s/%s %s", tc.fixture.Body, v.Status, v.Cause, code, tc.status, tc.cause, tc.problem)
			}
		})
	}
}

func fx(at string, status int, body string, headers ...string) dialectFixture {
	f := dialectFixture{At: at, Status: status, Body: body, Headers: map[string]string{}}
	for i := 0; i+1 < len(headers); i += 2 {
		f.Headers[headers[i]] = headers[i+1]
	}
	return f
}

// TestMetaAnswersAuthFailuresWith400AndAnErrorObject: an expired token, a
// password change, an app removed by the user are HTTP 400 with an error
// object; they were read as a provider problem to wait out.
func TestMetaAnswersAuthFailuresWith400AndAnErrorObject(t *testing.T) {
	const needs, auth = integration.StatusNeedsReauth, "meta-ads"
	checkMisreadings(t, []misreading{
		{"expired token", auth, fx("probe", 400, `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}`), needs, integration.CauseTokenExpired, "problem.token_expired"},
		{"password changed", auth, fx("probe", 400, `{"error":{"message":"Error validating access token: The session has been invalidated because the user changed their password.","type":"OAuthException","code":190,"error_subcode":460}}`), needs, integration.CauseAccountChange, "problem.password_changed"},
		{"app removed by the user", auth, fx("probe", 400, `{"error":{"message":"Error validating access token: The user has not authorized application 1.","type":"OAuthException","code":190,"error_subcode":458}}`), needs, integration.CauseAccessRevoked, "problem.app_uninstalled"},
	})
}

// TestSalesforceLimitAndDisabledAPIAreNotReducedPrivileges: the daily API
// limit and API access switched off were read as "Degraded: privileges
// reduced".
func TestSalesforceLimitAndDisabledAPIAreNotReducedPrivileges(t *testing.T) {
	checkMisreadings(t, []misreading{
		{"daily limit", "salesforce", fx("data", 403, `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`), integration.StatusError, integration.CauseProviderIssue, "problem.quota_exceeded"},
		{"API disabled for the org", "salesforce", fx("data", 403, `[{"message":"The REST API is not enabled for this Organization.","errorCode":"API_DISABLED_FOR_ORG"}]`), integration.StatusError, integration.CauseAccountChange, "problem.api_disabled"},
	})
}

// TestHubSpotBadRefreshTokenMeansUninstalled was read as an outage.
func TestHubSpotBadRefreshTokenMeansUninstalled(t *testing.T) {
	checkMisreadings(t, []misreading{
		{"BAD_REFRESH_TOKEN", "hubspot", fx("token", 400, `{"status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token","correlationId":"x"}`), integration.StatusNeedsReauth, integration.CauseAccessRevoked, "problem.app_uninstalled"},
	})
}

// TestMicrosoftAADSTSCodesSayWhatHappened were all "token expired" or
// "provider issue".
func TestMicrosoftAADSTSCodesSayWhatHappened(t *testing.T) {
	aad := func(code, err string) dialectFixture {
		return fx("token", 400, `{"error":"`+err+`","error_description":"AADSTS`+code+`: details. Trace ID: 1 Correlation ID: 2","error_codes":[`+code+`]}`)
	}
	needs, errS := integration.StatusNeedsReauth, integration.StatusError
	checkMisreadings(t, []misreading{
		{"50173 password reset", "microsoft", aad("50173", "invalid_grant"), needs, integration.CauseAccountChange, "problem.password_changed"},
		{"50057 user disabled", "microsoft", aad("50057", "invalid_grant"), needs, integration.CauseAccountChange, "problem.user_removed"},
		{"65001 consent revoked", "microsoft", aad("65001", "invalid_grant"), needs, integration.CauseAccessRevoked, "problem.consent_revoked"},
		{"53003 Conditional Access", "microsoft", aad("53003", "invalid_grant"), errS, integration.CauseAccountChange, "problem.admin_blocked"},
		{"50076 MFA", "microsoft", aad("50076", "invalid_grant"), needs, integration.CauseAccountChange, "problem.mfa_required"},
		{"50079 MFA enrollment", "microsoft", aad("50079", "invalid_grant"), needs, integration.CauseAccountChange, "problem.mfa_required"},
		{"7000222 client secret expired", "microsoft", aad("7000222", "invalid_client"), errS, integration.CauseLocalProblem, "problem.oauth_client_secret_expired"},
	})
}

// TestGoogleDeletedClientIsTheUsersOAuthApp was read as a provider issue;
// reauthorizing loops on it.
func TestGoogleDeletedClientIsTheUsersOAuthApp(t *testing.T) {
	checkMisreadings(t, []misreading{
		{"deleted_client", "google-analytics", fx("token", 401, `{"error":"deleted_client","error_description":"The OAuth client was deleted."}`), integration.StatusError, integration.CauseLocalProblem, "problem.oauth_client_invalid"},
	})
	if integration.Reauthorizable(integration.StatusError, integration.CauseLocalProblem, integration.NewProblem("problem.oauth_client_invalid")) {
		t.Errorf("an OAuth client problem is offered a reauthorization")
	}
}

// TestRejectedAPIKeySaysEnterANewKeyOnce: a rejected key is neither "the
// authorization token expired" nor the doubled "The provider rejected this
// credential: The provider rejected the token: it expired."
func TestRejectedAPIKeySaysEnterANewKeyOnce(t *testing.T) {
	s, _, _ := newService(t)
	kp := newKeyProvider(t, "right")
	_, err := s.Add(context.Background(), AddRequest{Provider: "custom-api-key", Name: "Ops", Settings: map[string]string{"test_url": kp.URL}, Secret: "wrong"})
	got := s.i18n.Problem("en", integration.AsProblem(err))
	want := "The provider rejected the API key: it was rotated, revoked or has expired. Enter a new key."
	if got != want {
		t.Errorf("Add with a wrong key says %q; want %q", got, want)
	}
}

// switchable is an authorization server that can be switched into the
// custom-provider failures of issue 16.
type switchable struct {
	*httptest.Server
	mu   sync.Mutex
	mode string // "", "outage", "invalid_client"
}

func newSwitchable(t *testing.T) *switchable {
	sw := &switchable{}
	sw.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw.mu.Lock()
		mode := sw.mode
		sw.mu.Unlock()
		switch {
		case mode == "outage":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "<html><body>Down for maintenance</body></html>")
			return
		case mode == "invalid_client" && r.URL.Path == "/token":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client","error_description":"Client authentication failed."}`)
			return
		}
		u := sw.URL
		switch r.URL.Path {
		case "/.well-known/oauth-authorization-server":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"issuer":"`+u+`","authorization_endpoint":"`+u+`/authorize","token_endpoint":"`+u+`/token","revocation_endpoint":"`+u+`/revoke","userinfo_endpoint":"`+u+`/me"}`)
		case "/authorize":
			q := r.URL.Query()
			http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {"c"}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
		case "/token":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"at","refresh_token":"rt","token_type":"Bearer","expires_in":3600}`)
		case "/me":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"email":"someone@example.com"}`)
		}
	}))
	t.Cleanup(sw.Close)
	return sw
}

func (sw *switchable) set(mode string) {
	sw.mu.Lock()
	sw.mode = mode
	sw.mu.Unlock()
}

// connectedCustom adds a Custom OAuth 2.0 integration on sw and authorizes
// it; the returned service is fresh (no cached discovery), as after a
// restart.
func connectedCustom(t *testing.T, sw *switchable) (*Service, IntegrationView) {
	t.Helper()
	s, _, _ := newService(t)
	ctx := context.Background()
	v, err := s.Add(ctx, AddRequest{Provider: "custom-oauth2", Name: "Custom", Settings: map[string]string{"issuer": sw.URL, "client_id": "relink"}, Secret: "client-pass"})
	if err != nil {
		t.Fatal(err)
	}
	s.opener = callbackTimer{at: make(chan time.Time, 4)}
	if v, err = s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 10 * time.Second}); err != nil || v.Status != integration.StatusConnected {
		t.Fatalf("Reauthorize: %s, %v", v.Status, err)
	}
	fresh := New(Config{Store: s.store, Secrets: s.secrets, Catalog: s.catalog, I18n: s.i18n, DataDir: s.dataDir})
	fresh.opener = s.opener
	return fresh, v
}

func problemCode(err error) string {
	if err == nil {
		return ""
	}
	return integration.AsProblem(err).Code
}

// TestCustomOAuthOutageIsTheProviders: discovery and who-am-I answering
// 503 with Retry-After were "Relink problem" on every check and "Something
// went wrong inside Relink" on add and remove.
func TestCustomOAuthOutageIsTheProviders(t *testing.T) {
	ctx := context.Background()
	sw := newSwitchable(t)
	s, v := connectedCustom(t, sw)
	sw.set("outage")
	in, _ := s.store.GetIntegration(ctx, v.ID)
	if got := s.probe1(ctx, in).verdict; got.Status != integration.StatusError || got.Cause != integration.CauseProviderIssue || got.Problem.Code != "problem.provider_outage" {
		t.Errorf("check during the outage: %s/%s %v; want error/provider_issue problem.provider_outage", got.Status, got.Cause, got.Problem)
	}
	if _, err := s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 5 * time.Second}); problemCode(err) != "problem.provider_outage" {
		t.Errorf("reauthorize during the outage: %v (%s); want problem.provider_outage", err, s.i18n.Problem("en", integration.AsProblem(err)))
	}
	res, err := s.Remove(ctx, v.ID)
	if err != nil || res.Revoked || res.Problem == nil || res.Problem.Code != "problem.provider_outage" {
		t.Errorf("remove during the outage: %+v, %v; want removed locally with problem.provider_outage", res, err)
	}
}

// TestCustomOAuthInvalidClientIsTheUsersOAuthApp: a wrong client secret at
// the token endpoint is the user's OAuth app to fix; the grant is kept.
func TestCustomOAuthInvalidClientIsTheUsersOAuthApp(t *testing.T) {
	ctx := context.Background()
	sw := newSwitchable(t)
	s, v := connectedCustom(t, sw)
	sw.set("invalid_client")
	// The access token lapsed: the check must refresh.
	if err := s.tokens.Store(ctx, v.ID, &oauth.Token{AccessToken: "old", RefreshToken: "rt", Expiry: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	in, _ := s.store.GetIntegration(ctx, v.ID)
	got := s.probe1(ctx, in).verdict
	if got.Status != integration.StatusError || got.Cause != integration.CauseLocalProblem || got.Problem.Code != "problem.oauth_client_invalid" {
		t.Errorf("check with a refused client: %s/%s %v; want error/local_problem problem.oauth_client_invalid", got.Status, got.Cause, got.Problem)
	}
	if rt, err := s.tokens.RefreshToken(ctx, v.ID); err != nil || rt != "rt" {
		t.Errorf("refresh token after a refused client: %q, %v; want it kept (the grant is not what broke)", rt, err)
	}
	if _, err := s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 10 * time.Second}); problemCode(err) != "problem.oauth_client_invalid" {
		t.Errorf("reauthorize with a refused client: %v; want problem.oauth_client_invalid", err)
	}
}

// TestCustomOAuthUnreachableIssuer: an issuer that refuses connections is
// the provider's side, one that does not resolve is this computer's DNS;
// neither is "inside Relink".
func TestCustomOAuthUnreachableIssuer(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	s, _, _ := newService(t)
	v, err := s.Add(ctx, AddRequest{Provider: "custom-oauth2", Name: "Refused", Settings: map[string]string{"issuer": closed, "client_id": "relink"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 5 * time.Second, NoBrowser: true}); problemCode(err) != "problem.connection_refused" {
		t.Errorf("reauthorize against a refusing issuer: %v; want problem.connection_refused", err)
	}
	// A grant from before the issuer went away: revoking it meets the
	// refusal (with none, there is nothing to revoke and nothing to say).
	if err := s.secrets.Set(ctx, v.ID, secrets.SlotRefresh, "r"); err != nil {
		t.Fatal(err)
	}
	if res, err := s.Remove(ctx, v.ID); err != nil || res.Problem == nil || res.Problem.Code != "problem.connection_refused" {
		t.Errorf("remove against a refusing issuer: %+v, %v; want problem.connection_refused", res, err)
	}

	// How oauth reports a name that does not resolve, read the way add,
	// reauthorize and remove read it.
	dnsErr := integration.NewError(oauth.ErrNetwork, &url.Error{Op: "Get", URL: "https://login.example.invalid/.well-known/openid-configuration",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "login.example.invalid", IsNotFound: true}}}, "error.network")
	p, _ := s.catalog.Get("custom-oauth2")
	if v := readFailure(p, dnsErr); v.Cause != integration.CauseLocalProblem || v.Problem.Code != "problem.dns" {
		t.Errorf("unresolvable issuer: %s %v; want local_problem problem.dns", v.Cause, v.Problem)
	}
	if got := problemCode(userError(p, dnsErr)); got != "problem.dns" {
		t.Errorf("unresolvable issuer on add/reauthorize: %s; want problem.dns", got)
	}
}

// TestRefusedRefreshKeepsTheGrant: a refresh refused for a reason new
// credentials do not fix is not a dead grant.
func TestRefusedRefreshKeepsTheGrant(t *testing.T) {
	var re *tokens.ReauthError
	err := error(&tokens.RefusedError{Verdict: health.Verdict{Status: integration.StatusError, Cause: integration.CauseLocalProblem, Problem: integration.NewProblem("problem.oauth_client_invalid")}, Err: &oauth.TokenError{Code: "invalid_client"}})
	if errors.As(err, &re) || errors.Is(err, tokens.ErrReauthRequired) {
		t.Errorf("a refused client reads as a dead grant")
	}
	if !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("error text %q hides the provider's code", err)
	}
}
