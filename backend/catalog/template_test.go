package catalog

import (
	"errors"
	"strings"
	"testing"

	"relink/backend/integration"
)

// problemCode returns the code of the Problem err carries, "" if none.
func problemCode(err error) string {
	var p *integration.Problem
	if errors.As(err, &p) {
		return p.Code
	}
	return ""
}

func TestRenderHostLabel(t *testing.T) {
	shop := get(t, load(t), "shopify")
	for _, tc := range []struct {
		shop     string
		want     string
		wantCode string
	}{
		{"my-store", "https://my-store.myshopify.com/admin/oauth/authorize", ""},
		{"evil.com/x", "", "error.field_invalid"},
		{"evil.com", "", "error.field_invalid"},
		{"../", "", "error.field_invalid"},
		{"a b", "", "error.field_invalid"},
		{"tiénda", "", "error.field_invalid"},
		{"x@evil.com", "", "error.field_invalid"},
		{"evil.com#", "", "error.field_invalid"},
		{"a:443", "", "error.field_invalid"},
		{"%2e%2e", "", "error.field_invalid"},
		{"-store", "", "error.field_invalid"},
		{"UPPER", "", "error.field_invalid"},
		{strings.Repeat("a", 62), "", "error.field_invalid"},
		{"", "", "error.field_required"},
	} {
		got, err := shop.Render(shop.OAuth.AuthURL, map[string]string{"shop": tc.shop})
		if got != tc.want || problemCode(err) != tc.wantCode {
			t.Errorf("Render(shop=%q) = %q, %v; want %q, code %q", tc.shop, got, err, tc.want, tc.wantCode)
		}
	}
}

func TestRenderPathSegment(t *testing.T) {
	ms := get(t, load(t), "microsoft")
	for _, tc := range []struct {
		tenant string
		want   string // "" = rejected
	}{
		{"common", "https://login.microsoftonline.com/common/oauth2/v2.0/token"},
		{"contoso.onmicrosoft.com", "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"},
		{"9188040d-6c67-4c5b-b112-36a304b66dad", "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/oauth2/v2.0/token"},
		{"..", ""},
		{"a/b", ""},
		{"common?x=1", ""},
		{"common#", ""},
		{"com mon", ""},
	} {
		got, err := ms.Render(ms.OAuth.TokenURL, map[string]string{"tenant": tc.tenant})
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("Render(tenant=%q) = %q, %v; want %q", tc.tenant, got, err, tc.want)
		}
	}
}

// A field whose pattern allows URL syntax is still escaped for where it
// sits, so it stays one path segment or one query value.
func TestRenderEscapes(t *testing.T) {
	c, err := Parse(fixture(t, func(p map[string]any) {
		fieldAt(p, 0)["pattern"] = `[a-z0-9&=?/%. -]{1,30}`
		obj(p, "oauth")["authUrl"] = "https://id.example.com/t/{tenant}/authorize"
		obj(p, "oauth")["tokenUrl"] = "https://id.example.com/token"
	}))
	if err != nil {
		t.Fatal(err)
	}
	p := get(t, c, "fixture")
	for _, tc := range []struct {
		tmpl, tenant, want string
	}{
		{p.OAuth.AuthURL, "a/b?c", "https://id.example.com/t/a%2Fb%3Fc/authorize"},
		{p.OAuth.AuthURL, "50% off", "https://id.example.com/t/50%25%20off/authorize"},
		{p.Probe.URL, "a&admin=1", "https://api.example.com/v1/me?tenant=a%26admin%3D1"},
		{p.Probe.URL, "x y", "https://api.example.com/v1/me?tenant=x+y"},
	} {
		got, err := p.Render(tc.tmpl, map[string]string{"tenant": tc.tenant})
		if err != nil || got != tc.want {
			t.Errorf("Render(%q, tenant=%q) = %q, %v; want %q", tc.tmpl, tc.tenant, got, err, tc.want)
		}
	}
}

func TestRenderUserURL(t *testing.T) {
	c := load(t)
	custom := get(t, c, "custom-oauth2")
	for _, tc := range []struct {
		issuer string
		ok     bool
	}{
		{"https://id.example.com", true},
		{"https://id.example.com/realms/main", true},
		{"http://127.0.0.1:4444", true},
		{"http://[::1]:4444/", true},
		{"http://localhost:4444", true},
		{"http://id.example.com", false},
		{"http://127.0.0.1.evil.com", false},
		{"https://user:pw@id.example.com", false},
		{"https://id.example.com/#frag", false},
		{"https://id.example.com/?tenant=1", false}, // an issuer has no query
		{"javascript:alert(1)", false},
		{"//id.example.com", false},
		{"id.example.com", false},
		{"ftp://id.example.com", false},
	} {
		got, err := custom.Render(custom.OAuth.Issuer, map[string]string{"issuer": tc.issuer})
		if (err == nil) != tc.ok || (tc.ok && got != tc.issuer) {
			t.Errorf("Render(issuer=%q) = %q, %v; want ok=%v", tc.issuer, got, err, tc.ok)
		}
	}

	// A built-in provider's user URL is https only, and its pattern pins
	// the host.
	fx, err := Parse(fixture(t, func(p map[string]any) {
		p["fields"] = append(p["fields"].([]any), map[string]any{"key": "instance_url", "required": true, "kind": "url",
			"pattern": `https://[a-z0-9-]{1,40}\.my\.example\.com/?`})
		obj(p, "probe")["url"] = "{instance_url}/services/userinfo"
	}))
	if err != nil {
		t.Fatal(err)
	}
	p := get(t, fx, "fixture")
	for _, tc := range []struct {
		instance, want string
	}{
		{"https://acme.my.example.com", "https://acme.my.example.com/services/userinfo"},
		{"https://acme.my.example.com/", "https://acme.my.example.com/services/userinfo"},
		{"https://evil.com", ""},
		{"http://127.0.0.1:8080", ""},
		{"https://acme.my.example.com?x=", ""},
		{"https://acme.my.example.com.evil.com", ""},
	} {
		got, err := p.Render(p.Probe.URL, map[string]string{"instance_url": tc.instance})
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("Render(instance_url=%q) = %q, %v; want %q", tc.instance, got, err, tc.want)
		}
	}
}

func TestRenderText(t *testing.T) {
	zd := get(t, load(t), "zendesk-token")
	for _, tc := range []struct {
		tmpl     string
		email    string
		want     string
		wantCode string
	}{
		{"{email}/token", "agent@acme.com", "agent@acme.com/token", ""},
		{"{email}/token", "", "", "error.field_required"},
		{"{email}/token", "a:b@acme.com", "", "error.field_invalid"}, // a colon would split basic auth
		{"{email}/token", "agent@acme.com\r\nX: y", "", "error.field_invalid"},
	} {
		got, err := zd.RenderText(tc.tmpl, map[string]string{"email": tc.email})
		if got != tc.want || problemCode(err) != tc.wantCode {
			t.Errorf("RenderText(%q, email=%q) = %q, %v; want %q, code %q", tc.tmpl, tc.email, got, err, tc.want, tc.wantCode)
		}
	}
	if _, err := zd.RenderText("{api_key}", map[string]string{"api_key": "x"}); !errors.Is(err, ErrUnknownSetting) {
		t.Errorf("RenderText({api_key}) = %v; want ErrUnknownSetting (secrets never render)", err)
	}
	if _, err := zd.Render("https://{api_key}.zendesk.com/", map[string]string{"api_key": "x"}); !errors.Is(err, ErrUnknownSetting) {
		t.Errorf("Render({api_key}) = %v; want ErrUnknownSetting", err)
	}
}
