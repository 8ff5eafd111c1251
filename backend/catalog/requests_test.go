package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func validated(t *testing.T, p Provider, in map[string]string) map[string]string {
	t.Helper()
	s, err := p.ValidateSettings(in)
	if err != nil {
		t.Fatalf("%s.ValidateSettings(%v) = %v", p.ID, in, err)
	}
	return s
}

func TestOAuthEndpoints(t *testing.T) {
	c := load(t)
	for _, tc := range []struct {
		id   string
		in   map[string]string
		want Endpoints
	}{
		{"shopify", map[string]string{"shop": "my-store", "client_id": "abc"}, Endpoints{
			AuthURL:  "https://my-store.myshopify.com/admin/oauth/authorize",
			TokenURL: "https://my-store.myshopify.com/admin/oauth/access_token",
			Scopes:   []string{"read_orders", "read_products", "read_customers"}, ScopeSeparator: ",",
		}},
		{"google-analytics", map[string]string{"client_id": "abc"}, Endpoints{
			AuthURL: "https://accounts.google.com/o/oauth2/v2/auth", TokenURL: "https://oauth2.googleapis.com/token",
			RevokeURL: "https://oauth2.googleapis.com/revoke", DeviceURL: "https://oauth2.googleapis.com/device/code",
			Issuer: "https://accounts.google.com",
			Scopes: []string{"openid", "email", "https://www.googleapis.com/auth/analytics.readonly"}, ScopeSeparator: " ",
			ExtraParams: map[string]string{"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}, PKCE: true,
		}},
		{"quickbooks", map[string]string{"client_id": "abc"}, Endpoints{
			AuthURL: "https://appcenter.intuit.com/connect/oauth2", TokenURL: "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
			RevokeURL: "https://developer.api.intuit.com/v2/oauth2/tokens/revoke", Issuer: "https://oauth.platform.intuit.com/op/v1",
			Scopes: []string{"com.intuit.quickbooks.accounting", "openid", "email"}, ScopeSeparator: " ", HeaderAuth: true,
		}},
		{"custom-oauth2", map[string]string{"client_id": "r", "issuer": "http://127.0.0.1:9000/", "scopes": "openid, email offline_access"}, Endpoints{
			Issuer: "http://127.0.0.1:9000/", Discover: true,
			Scopes: []string{"openid", "email", "offline_access"}, ScopeSeparator: " ", PKCE: true,
		}},
		{"custom-oauth2", map[string]string{"client_id": "r", "issuer": "https://id.example.com", "revocation_endpoint": "https://id.example.com/rv"}, Endpoints{
			RevokeURL: "https://id.example.com/rv", Issuer: "https://id.example.com", Discover: true,
			Scopes: []string{"openid"}, ScopeSeparator: " ", PKCE: true,
		}},
		{"custom-oauth2", map[string]string{"client_id": "r", "authorization_endpoint": "https://id.example.com/a", "token_endpoint": "https://id.example.com/t"}, Endpoints{
			AuthURL: "https://id.example.com/a", TokenURL: "https://id.example.com/t",
			Scopes: []string{"openid"}, ScopeSeparator: " ", PKCE: true,
		}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			got, err := get(t, c, tc.id).OAuthEndpoints(validated(t, get(t, c, tc.id), tc.in))
			if err != nil {
				t.Fatalf("OAuthEndpoints = %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("OAuthEndpoints =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
	if _, err := get(t, c, "stripe").OAuthEndpoints(nil); !errors.Is(err, ErrNotOAuth) {
		t.Errorf("stripe.OAuthEndpoints = %v; want ErrNotOAuth", err)
	}
	// Unvalidated settings are checked again: a tenant cannot slip past.
	if _, err := get(t, c, "shopify").OAuthEndpoints(map[string]string{"shop": "evil.com/x"}); problemCode(err) != "error.field_invalid" {
		t.Errorf("OAuthEndpoints(shop=evil.com/x) = %v; want error.field_invalid", err)
	}
}

func TestScopes(t *testing.T) {
	c := load(t)
	custom := get(t, c, "custom-oauth2")
	if got := custom.RequiredScopes(map[string]string{"scopes": "a,b c"}); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("custom RequiredScopes = %v; want the user's [a b c]", got)
	}
	if got := custom.RequiredScopes(nil); got != nil {
		t.Errorf("custom RequiredScopes(no scopes) = %v; want none", got)
	}
	ga := get(t, c, "google-analytics")
	// A built-in provider has no scopes setting: a stray one is ignored.
	if got := ga.Scopes(map[string]string{"scopes": "admin"}); !slices.Equal(got, ga.OAuth.DefaultScopes) {
		t.Errorf("google Scopes = %v; want defaults", got)
	}
	if got := ga.RequiredScopes(nil); !slices.Equal(got, []string{"https://www.googleapis.com/auth/analytics.readonly"}) {
		t.Errorf("google RequiredScopes = %v", got)
	}
	if got := get(t, c, "stripe").RequiredScopes(nil); got != nil {
		t.Errorf("stripe RequiredScopes = %v; want none", got)
	}
}

func TestProbeRequestWithCredential(t *testing.T) {
	c := load(t)
	const key = "k3y-VALUE"
	for _, tc := range []struct {
		name, id  string
		in        map[string]string
		url       string
		header    http.Header // expected, besides fixed ones
		basicUser string
		basicPass string
		account   string
	}{
		{"stripe bearer", "stripe", nil, "https://api.stripe.com/v1/account",
			http.Header{"Authorization": {"Bearer " + key}}, "", "", "email"},
		{"shopify header", "shopify", map[string]string{"shop": "my-store", "client_id": "x"}, "https://my-store.myshopify.com/admin/api/2026-04/shop.json",
			http.Header{"X-Shopify-Access-Token": {key}}, "", "", "shop.email"},
		{"klaviyo prefix and revision", "klaviyo", nil, "https://a.klaviyo.com/api/accounts/",
			http.Header{"Authorization": {"Klaviyo-API-Key " + key}, "Revision": {"2025-10-15"}, "Accept": {"application/vnd.api+json"}}, "", "",
			"data.0.attributes.contact_information.default_sender_email"},
		{"zendesk email/token", "zendesk-token", map[string]string{"subdomain": "acme", "email": "a@acme.com"}, "https://acme.zendesk.com/api/v2/users/me.json",
			http.Header{}, "a@acme.com/token", key, "user.email"},
		{"mixpanel service account", "mixpanel", map[string]string{"username": "svc"}, "https://mixpanel.com/api/app/me",
			http.Header{}, "svc", key, "results.user_email"},
		{"recurly key as user", "recurly", nil, "https://v3.recurly.com/sites",
			http.Header{"Accept": {"application/vnd.recurly.v2021-02-25+json"}}, key, "", "data.0.subdomain"},
		{"custom key defaults to bearer", "custom-api-key", map[string]string{"test_url": "http://127.0.0.1:8080/me"}, "http://127.0.0.1:8080/me",
			http.Header{"Authorization": {"Bearer " + key}}, "", "", ""},
		{"custom key prefix alone", "custom-api-key", map[string]string{"test_url": "https://api.example.com/me", "prefix": "Token"}, "https://api.example.com/me",
			http.Header{"Authorization": {"Token " + key}}, "", "", ""},
		{"custom key named header", "custom-api-key", map[string]string{"test_url": "https://api.example.com/me", "header_name": "X-Api-Key", "account_path": "data.name"},
			"https://api.example.com/me", http.Header{"X-Api-Key": {key}}, "", "", "data.name"},
		{"custom key query", "custom-api-key", map[string]string{"test_url": "https://api.example.com/me?v=2", "query_name": "api_key"},
			"https://api.example.com/me?v=2&api_key=" + key, http.Header{}, "", "", ""},
		{"custom oauth userinfo", "custom-oauth2", map[string]string{"client_id": "r", "issuer": "https://id.example.com", "userinfo_url": "https://id.example.com/me"},
			"https://id.example.com/me", http.Header{"Authorization": {"Bearer " + key}}, "", "", "email"},
		{"custom oauth userinfo by discovery", "custom-oauth2", map[string]string{"client_id": "r", "issuer": "https://id.example.com"},
			"", http.Header{"Authorization": {"Bearer " + key}}, "", "", "email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := get(t, c, tc.id)
			r, err := p.ProbeRequest(validated(t, p, tc.in))
			if err != nil {
				t.Fatalf("ProbeRequest = %v", err)
			}
			s := r.WithCredential(key)
			if s.URL != tc.url || s.Method != "GET" || s.BasicUser != tc.basicUser || s.BasicPass != tc.basicPass || s.AccountPath != tc.account {
				t.Errorf("got %s %s user %q pass %q account %q; want GET %s user %q pass %q account %q",
					s.Method, s.URL, s.BasicUser, s.BasicPass, s.AccountPath, tc.url, tc.basicUser, tc.basicPass, tc.account)
			}
			if !reflect.DeepEqual(s.Header, tc.header) {
				t.Errorf("headers = %v; want %v", s.Header, tc.header)
			}
			if r.Header.Get("Authorization") != "" || strings.Contains(r.URL, key) {
				t.Errorf("WithCredential changed the unsigned request")
			}
		})
	}
	// A custom OAuth server may say in its who-am-I answer what was granted.
	custom := get(t, c, "custom-oauth2")
	if r, err := custom.ProbeRequest(validated(t, custom, map[string]string{"client_id": "r", "issuer": "https://id.example.com"})); err != nil || r.ScopesPath != "scope" {
		t.Errorf("custom-oauth2 ProbeRequest ScopesPath = %q, %v; want scope", r.ScopesPath, err)
	}
	if _, err := get(t, c, "postgres").ProbeRequest(nil); !errors.Is(err, ErrNoProbe) {
		t.Errorf("postgres.ProbeRequest = %v; want ErrNoProbe", err)
	}
	if _, err := get(t, c, "zendesk-token").ProbeRequest(map[string]string{"subdomain": "acme"}); problemCode(err) != "error.field_required" {
		t.Errorf("ProbeRequest without email = %v; want error.field_required", err)
	}
}

func TestSignedProbeRedacts(t *testing.T) {
	const key = "sk_test_secretvalue"
	p := get(t, load(t), "custom-api-key")
	r, err := p.ProbeRequest(map[string]string{"test_url": "https://api.example.com/me", "query_name": "key"})
	if err != nil {
		t.Fatal(err)
	}
	s := r.WithCredential(key)
	j, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{s.String(), fmt.Sprint(s), fmt.Sprintf("%v %+v", s, s), string(j)} {
		if strings.Contains(out, key) {
			t.Errorf("printed probe %q contains the credential", out)
		}
	}
}
