package services

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"relink/backend/catalog"
	"relink/backend/integration"
	"relink/backend/internal/testrig"
)

// twin answers requests to providers' real URLs in-process: each route is
// "host/path" → a JSON body (status 200) that a test can change. Fixture
// shapes follow the documentation cited in the catalogue entries.
type twin struct {
	mu     sync.Mutex
	routes map[string]string
	seen   map[string]http.Header
}

func newTwin(routes map[string]string) *twin {
	return &twin{routes: routes, seen: map[string]http.Header{}}
}

func (tw *twin) set(route, body string) {
	tw.mu.Lock()
	tw.routes[route] = body
	tw.mu.Unlock()
}

func (tw *twin) header(route string) http.Header {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return tw.seen[route]
}

func (tw *twin) RoundTrip(r *http.Request) (*http.Response, error) {
	route := r.URL.Host + r.URL.Path
	tw.mu.Lock()
	body, ok := tw.routes[route]
	tw.seen[route] = r.Header.Clone()
	tw.mu.Unlock()
	rec := httptest.NewRecorder()
	if !ok {
		rec.WriteHeader(http.StatusNotFound)
	} else {
		rec.Header().Set("Content-Type", "application/json")
		io.WriteString(rec, body)
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// redirectBrowser completes an authorization at once: it sends the
// redirect a code, the state and the provider's extra parameters
// (Intuit's realmId). relay, when set, is where the user's https redirect
// page forwards the callback (the loopback relay).
type redirectBrowser struct {
	extra url.Values
	relay string
}

func (b redirectBrowser) Open(authURL string) error {
	u, err := url.Parse(authURL)
	if err != nil {
		return err
	}
	q := url.Values{"code": {"c"}, "state": {u.Query().Get("state")}}
	for k, v := range b.extra {
		q[k] = v
	}
	target := u.Query().Get("redirect_uri")
	if b.relay != "" {
		target = b.relay
	}
	go func() {
		if r, err := http.Get(target + "?" + q.Encode()); err == nil {
			r.Body.Close()
		}
	}()
	return nil
}

// authorizeAt adds and authorizes an OAuth integration of provider whose
// endpoints are served by tw.
func authorizeAt(t *testing.T, tw *twin, provider string, settings, more map[string]string, extra url.Values) (*Service, IntegrationView) {
	t.Helper()
	ctx := context.Background()
	s, _, _ := newService(t)
	s.http = &http.Client{Transport: tw}
	s.probe = &http.Client{Transport: tw}
	if settings == nil {
		settings = map[string]string{}
	}
	settings["client_id"] = "relink-test"
	browser := redirectBrowser{extra: extra}
	if p, _ := s.catalog.Get(provider); hasField(p.Fields, "relay_port") {
		// The provider takes only registered redirects: the user's https
		// page forwards to Relink's relay port.
		port := strconv.Itoa(testrig.FreePort(t))
		settings["redirect_uri"], settings["relay_port"] = "https://example.com/relink/callback", port
		browser.relay = "http://localhost:" + port + "/callback"
	}
	s.opener = browser
	v, err := s.Add(ctx, AddRequest{Provider: provider, Name: provider, Settings: settings, Secret: "client-pw", Secrets: more})
	if err != nil {
		t.Fatalf("add %s: %v", provider, err)
	}
	v, err = s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("authorize %s: %v", provider, err)
	}
	return s, v
}

func hasField(fs []catalog.Field, key string) bool {
	for _, f := range fs {
		if f.Key == key {
			return true
		}
	}
	return false
}

const tokenJSON = `{"access_token":"at-1","refresh_token":"rt-1","token_type":"Bearer","expires_in":3600`

// Misreading: probes checked identity, not the data. Each provider's data
// read decides Connected, and an empty answer meaning "nothing is
// connected" is a failure.
func TestDataAccessDecidesConnected(t *testing.T) {
	googleToken := "oauth2.googleapis.com/token"
	googleUser := "openidconnect.googleapis.com/v1/userinfo"
	tests := []struct {
		name       string
		provider   string
		settings   map[string]string
		secrets    map[string]string
		extra      url.Values
		routes     map[string]string
		data       string // the data route
		empty      string // its answer when nothing is connected ("" when none is documented)
		wantStatus integration.Status
		wantCause  integration.Cause
		wantCode   string
	}{
		{
			name: "GA4 login without an Analytics account", provider: "google-analytics",
			routes: map[string]string{googleToken: tokenJSON + `}`, googleUser: `{"email":"ana@example.com"}`,
				"analyticsadmin.googleapis.com/v1beta/accountSummaries": `{"accountSummaries":[{"account":"accounts/1"}]}`},
			data: "analyticsadmin.googleapis.com/v1beta/accountSummaries", empty: `{}`,
			wantStatus: integration.StatusError, wantCause: integration.CauseAccountChange, wantCode: "problem.no_analytics_account",
		},
		{
			name: "Google Ads login without an Ads account", provider: "google-ads", secrets: map[string]string{"developer_token": "dev-token-1"},
			routes: map[string]string{googleToken: tokenJSON + `}`, googleUser: `{"email":"ana@example.com"}`,
				"googleads.googleapis.com/v26/customers:listAccessibleCustomers": `{"resourceNames":["customers/1234567890"]}`},
			data: "googleads.googleapis.com/v26/customers:listAccessibleCustomers", empty: `{}`,
			wantStatus: integration.StatusError, wantCause: integration.CauseAccountChange, wantCode: "problem.no_ads_account",
		},
		{
			name: "Meta login without an ad account", provider: "meta-ads",
			routes: map[string]string{"graph.facebook.com/v25.0/oauth/access_token": tokenJSON + `}`, "graph.facebook.com/v25.0/me": `{"id":"1","name":"Ana"}`,
				"graph.facebook.com/v25.0/me/adaccounts": `{"data":[{"id":"act_1","name":"Shop"}]}`},
			data: "graph.facebook.com/v25.0/me/adaccounts", empty: `{"data":[]}`,
			wantStatus: integration.StatusError, wantCause: integration.CauseAccountChange, wantCode: "problem.no_ad_accounts",
		},
		{
			name: "Salesforce org read on the token's instance_url", provider: "salesforce",
			routes: map[string]string{"login.salesforce.com/services/oauth2/token": tokenJSON + `,"instance_url":"https://acme.my.salesforce.com"}`,
				"login.salesforce.com/services/oauth2/userinfo": `{"email":"ana@example.com"}`,
				"acme.my.salesforce.com/services/data/v62.0/":   `{"sobjects":"/services/data/v62.0/sobjects"}`},
			data: "acme.my.salesforce.com/services/data/v62.0/",
		},
		{
			name: "QuickBooks company of the redirect's realmId", provider: "quickbooks", extra: url.Values{"realmId": {"4620816365"}},
			routes: map[string]string{"oauth.platform.intuit.com/oauth2/v1/tokens/bearer": tokenJSON + `}`,
				"accounts.platform.intuit.com/v1/openid_connect/userinfo":                `{"email":"ana@example.com"}`,
				"quickbooks.api.intuit.com/v3/company/4620816365/companyinfo/4620816365": `{"CompanyInfo":{"CompanyName":"Acme"}}`},
			data: "quickbooks.api.intuit.com/v3/company/4620816365/companyinfo/4620816365",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw := newTwin(tt.routes)
			s, v := authorizeAt(t, tw, tt.provider, tt.settings, tt.secrets, tt.extra)
			if v.Status != integration.StatusConnected || v.Account == "" {
				t.Fatalf("authorized with data: %s %+v account %q; want connected with an account", v.Status, v.Problem, v.Account)
			}
			if tw.header(tt.data) == nil {
				t.Fatalf("the data route %s was never read", tt.data)
			}
			if got := tw.header(tt.data).Get("Authorization"); got != "Bearer at-1" {
				t.Errorf("data probe Authorization %q; want the access token", got)
			}
			if tt.provider == "google-ads" {
				if got := tw.header(tt.data).Get("developer-token"); got != "dev-token-1" {
					t.Errorf("developer-token header %q; want the keychain's developer token", got)
				}
			}
			if tt.empty == "" {
				// No empty shape documented: a failed read still fails.
				tw.mu.Lock()
				delete(tw.routes, tt.data)
				tw.mu.Unlock()
				views, _ := s.Check(context.Background(), v.ID)
				if views[0].Status == integration.StatusConnected {
					t.Errorf("data route gone (404): still connected")
				}
				return
			}
			tw.set(tt.data, tt.empty)
			views, err := s.Check(context.Background(), v.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := views[0]
			if got.Status != tt.wantStatus || got.Cause != tt.wantCause || got.Problem == nil || got.Problem.Code != tt.wantCode {
				t.Errorf("empty data answer: %s/%s %+v; want %s/%s %s", got.Status, got.Cause, got.Problem, tt.wantStatus, tt.wantCause, tt.wantCode)
			}
			if got.Account == "" {
				t.Errorf("the account from identity was lost")
			}
		})
	}
}

// Misreading: Xero's /connections answering 200 [] (the organisation was
// disconnected) showed Connected.
func TestXeroDisconnectedOrganisationNeedsReauth(t *testing.T) {
	const tenant = `{"id":"7cb59f93-2964-421d-bb5e-a0f7a4572a44","tenantId":"fe79f7dd-b6d4-4a92-ba7b-538af6289c58","tenantName":"Demo Company (NZ)","tenantType":"ORGANISATION"}`
	const other = `{"id":"0b2d3c4e-0000-4000-8000-000000000001","tenantId":"00000000-1111-4222-8333-444444444444","tenantName":"Other Ltd","tenantType":"ORGANISATION"}`
	for _, tc := range []struct{ name, answer string }{
		{"no organisation left", `[]`},
		{"only another organisation", `[` + other + `]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tw := newTwin(map[string]string{"identity.xero.com/connect/token": tokenJSON + `}`, "api.xero.com/connections": `[` + tenant + `]`})
			s, v := authorizeAt(t, tw, "xero", nil, nil, nil)
			in, _ := s.store.GetIntegration(context.Background(), v.ID)
			if v.Status != integration.StatusConnected || in.Metadata["tenant_id"] != "fe79f7dd-b6d4-4a92-ba7b-538af6289c58" {
				t.Fatalf("authorized: %s, metadata %v; want connected with the chosen tenant kept", v.Status, in.Metadata)
			}
			tw.set("api.xero.com/connections", tc.answer)
			views, _ := s.Check(context.Background(), v.ID)
			got := views[0]
			if got.Status != integration.StatusNeedsReauth || got.Cause != integration.CauseAccessRevoked || got.Problem == nil || got.Problem.Code != "problem.xero_disconnected" {
				t.Errorf("%s: got %s/%s %+v; want needs_reauth/access_revoked problem.xero_disconnected", tc.answer, got.Status, got.Cause, got.Problem)
			}
		})
	}
}

// Misreading: Zendesk's users/me answering with the anonymous user (id
// null) showed Connected; an end user cannot read tickets at all.
func TestZendeskAnonymousOrEndUserIsNotConnected(t *testing.T) {
	const me = "acme.zendesk.com/api/v2/users/me.json"
	for _, tc := range []struct {
		name, answer string
		status       integration.Status
		cause        integration.Cause
		code, role   string
	}{
		{"anonymous", `{"user":{"id":null,"name":"Anonymous user","role":"end-user"}}`, integration.StatusNeedsReauth, integration.CauseAccessRevoked, "problem.zendesk_anonymous", ""},
		{"end user", `{"user":{"id":35436,"email":"ana@example.com","role":"end-user"}}`, integration.StatusError, integration.CauseAccountChange, "problem.zendesk_role", "end-user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tw := newTwin(map[string]string{"acme.zendesk.com/oauth/tokens": tokenJSON + `}`, me: `{"user":{"id":35436,"email":"ana@example.com","role":"agent"}}`})
			s, v := authorizeAt(t, tw, "zendesk", map[string]string{"subdomain": "acme"}, nil, nil)
			if v.Status != integration.StatusConnected || v.Account != "ana@example.com" {
				t.Fatalf("authorized: %s %q; want connected as the agent", v.Status, v.Account)
			}
			tw.set(me, tc.answer)
			views, _ := s.Check(context.Background(), v.ID)
			got := views[0]
			if got.Status != tc.status || got.Cause != tc.cause || got.Problem == nil || got.Problem.Code != tc.code || got.Problem.Params["role"] != tc.role {
				t.Errorf("got %s/%s %+v; want %s/%s %s role %q", got.Status, got.Cause, got.Problem, tc.status, tc.cause, tc.code, tc.role)
			}
		})
	}
}

// An integration authorized before Relink kept the instance_url cannot be
// checked for data: it says to reauthorize once, not Connected.
func TestMissingKeptValueAsksForReauthorization(t *testing.T) {
	tw := newTwin(map[string]string{"login.salesforce.com/services/oauth2/token": tokenJSON + `,"instance_url":"https://acme.my.salesforce.com"}`,
		"login.salesforce.com/services/oauth2/userinfo": `{"email":"ana@example.com"}`,
		"acme.my.salesforce.com/services/data/v62.0/":   `{}`})
	s, v := authorizeAt(t, tw, "salesforce", nil, nil, nil)
	ctx := context.Background()
	s.mutate(ctx, v.ID, func(x *integration.Integration) (integration.Event, bool) {
		x.Metadata = nil
		return integration.Event{}, false
	}, nil)
	views, _ := s.Check(ctx, v.ID)
	if got := views[0]; got.Status != integration.StatusNeedsReauth || got.Problem == nil || got.Problem.Code != "problem.reauthorize_for_data" {
		t.Errorf("got %s %+v; want needs_reauth problem.reauthorize_for_data", got.Status, got.Problem)
	}
}

// A kept value that does not match its documented shape never reaches a
// URL carrying the credential.
func TestKeptValueOutsideItsPatternIsRefused(t *testing.T) {
	tw := newTwin(map[string]string{"login.salesforce.com/services/oauth2/token": tokenJSON + `,"instance_url":"https://evil.example.com"}`,
		"login.salesforce.com/services/oauth2/userinfo": `{"email":"ana@example.com"}`})
	_, v := authorizeAt(t, tw, "salesforce", nil, nil, nil)
	if tw.header("evil.example.com/services/data/v62.0/") != nil {
		t.Fatalf("the credential was sent to an instance_url outside salesforce.com")
	}
	if v.Status == integration.StatusConnected || !strings.HasPrefix(v.Problem.Code, "problem.reauthorize_for_data") {
		t.Errorf("got %s %+v; want not connected, asking to reauthorize", v.Status, v.Problem)
	}
}
