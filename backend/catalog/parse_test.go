package catalog

import (
	"encoding/json"
	"strings"
	"testing"
)

// baseEntry is a minimal valid OAuth provider for fixtures.
const baseEntry = `{
 "id": "fixture", "name": "Fixture", "kind": "oauth2", "group": "saas", "icon": "fixture",
 "fields": [
  {"key": "tenant", "required": true, "kind": "text", "pattern": "[a-z0-9-]{1,30}"},
  {"key": "client_id", "required": true, "kind": "text", "pattern": "[a-z0-9]{1,40}"},
  {"key": "client_secret", "required": false, "secret": true, "kind": "password"}
 ],
 "oauth": {
  "authUrl": "https://{tenant}.example.com/authorize",
  "tokenUrl": "https://{tenant}.example.com/token",
  "defaultScopes": ["read", "write"], "requiredScopes": ["read"],
  "pkce": true, "clientSecret": "optional"
 },
 "redirect": {"accepts": ["loopback"], "loopbackHost": "127.0.0.1", "source": "https://example.com/docs/redirect"},
 "probe": {"method": "GET", "url": "https://api.example.com/v1/me?tenant={tenant}", "auth": "bearer", "accountPath": "user.email"},
 "lifetimes": {"accessToken": "1h"},
 "docs": "https://example.com/docs", "support": "https://example.com/support"
}`

// fixture returns a one-file catalog holding baseEntry changed by edit.
func fixture(t testing.TB, edit func(p map[string]any)) map[string][]byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal([]byte(baseEntry), &p); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(p)
	}
	b, err := json.Marshal([]any{p})
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"fixture.json": b}
}

func obj(p map[string]any, key string) map[string]any { return p[key].(map[string]any) }

func fieldAt(p map[string]any, i int) map[string]any { return p["fields"].([]any)[i].(map[string]any) }

func TestParseFixture(t *testing.T) {
	c, err := Parse(fixture(t, nil))
	if err != nil {
		t.Fatalf("Parse(base fixture) = %v; want nil", err)
	}
	if _, ok := c.Get("fixture"); !ok {
		t.Errorf("Get(fixture) missing")
	}
}

func TestParseRejects(t *testing.T) {
	set := func(section, key string, v any) func(map[string]any) {
		return func(p map[string]any) {
			if section == "" {
				p[key] = v
				return
			}
			obj(p, section)[key] = v
		}
	}
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want string // in the error
	}{
		{"unknown property", set("", "colour", "red"), "unknown field"},
		{"bad id", set("", "id", "Fixture!"), "id must be"},
		{"bad kind", set("", "kind", "magic"), "unknown kind"},
		{"database kind in saas group", set("", "kind", "database"), "database group"},
		{"http endpoint", set("oauth", "tokenUrl", "http://{tenant}.example.com/token"), "not_https"},
		{"loopback http endpoint", set("oauth", "tokenUrl", "http://127.0.0.1:9/token"), "not_https"},
		{"loopback https endpoint", set("oauth", "tokenUrl", "https://localhost/token"), "loopback"},
		{"userinfo in endpoint", set("oauth", "tokenUrl", "https://u:p@example.com/token"), "userinfo"},
		{"fragment in endpoint", set("oauth", "tokenUrl", "https://example.com/token#x"), "fragment"},
		{"http docs", set("", "docs", "http://example.com/docs"), "docs: not_https"},
		{"undeclared placeholder", set("oauth", "authUrl", "https://{shop}.example.com/authorize"), "undeclared"},
		{"secret placeholder", set("oauth", "authUrl", "https://{client_secret}.example.com/authorize"), "secret field"},
		{"placeholder inside a label", set("oauth", "authUrl", "https://x{tenant}.example.com/authorize"), "whole label"},
		{"placeholder over the domain", set("oauth", "authUrl", "https://{tenant}.com/authorize"), "whole label"},
		{"placeholder as the whole host", set("oauth", "authUrl", "https://{tenant}/authorize"), "whole label"},
		{"placeholder inside a segment", set("oauth", "authUrl", "https://example.com/t-{tenant}/authorize"), "whole segment"},
		{"placeholder as a query name", set("oauth", "authUrl", "https://example.com/authorize?{tenant}=1"), "whole value"},
		{"text field starting a URL", set("oauth", "authUrl", "{tenant}/authorize"), "url field"},
		{"stray brace", set("oauth", "authUrl", "https://{Tenant}.example.com/authorize"), "stray brace"},
		{"no token endpoint", set("oauth", "tokenUrl", ""), "tokenUrl"},
		{"no pkce and no secret", func(p map[string]any) {
			set("oauth", "pkce", false)(p)
			set("oauth", "clientSecret", "none")(p)
			p["fields"] = p["fields"].([]any)[:2]
		}, "without PKCE"},
		{"secret field missing", func(p map[string]any) { p["fields"] = p["fields"].([]any)[:2] }, "client_secret"},
		{"bad scope separator", set("oauth", "scopeSeparator", ";"), "separator"},
		{"required scope not requested", set("oauth", "requiredScopes", []string{"admin"}), "not requested"},
		{"scope with a space", set("oauth", "defaultScopes", []string{"read write"}), "bad scope"},
		{"reserved extra parameter", set("oauth", "extraParams", map[string]string{"redirect_uri": "https://evil.example"}), "redirect_uri"},
		{"bad auth style", set("oauth", "authStyle", "cookie"), "authStyle"},
		{"no probe", func(p map[string]any) { delete(p, "probe") }, "health probe"},
		{"probe auth unknown", set("probe", "auth", "magic"), "unknown auth"},
		{"probe header without name", set("probe", "auth", "header"), "authName"},
		{"probe credential in a fixed header", set("probe", "headers", map[string]string{"Authorization": "Bearer x"}), "Authorization"},
		{"probe header with a newline", set("probe", "headers", map[string]string{"X-A": "a\r\nX-B: b"}), "X-A"},
		{"probe bad account path", set("probe", "accountPath", "user..email"), "JSON path"},
		{"probe method", set("probe", "method", "DELETE"), "GET or POST"},
		{"bad pattern", func(p map[string]any) { fieldAt(p, 0)["pattern"] = "(" }, "pattern"},
		{"default breaks pattern", func(p map[string]any) { fieldAt(p, 0)["default"] = "UPPER" }, "default"},
		{"duplicate field", func(p map[string]any) { fieldAt(p, 1)["key"] = "tenant" }, "duplicate key"},
		{"select without options", func(p map[string]any) { fieldAt(p, 0)["kind"] = "select" }, "options"},
		{"min on text", func(p map[string]any) { fieldAt(p, 0)["min"] = 1 }, "min/max"},
		{"visible password", func(p map[string]any) { fieldAt(p, 0)["kind"] = "password" }, "must be secret"},
		{"requiredWith unknown", func(p map[string]any) { fieldAt(p, 0)["requiredWith"] = "nope" }, "undeclared field"},
		{"bad lifetime", set("lifetimes", "accessToken", "soon"), "lifetime"},
		{"negative lifetime", set("lifetimes", "accessToken", "-1h"), "lifetime"},
		{"lifetime rule on unknown field", set("lifetimes", "when", []map[string]string{{"field": "nope", "value": "x", "refreshToken": "7d"}}), "rule on"},
		{"help for unknown cause", set("", "help", map[string]string{"bad_luck": "https://example.com"}), "unknown cause"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(fixture(t, tc.edit))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v; want an error about %q", err, tc.want)
			}
		})
	}
}

func TestParseRejectsFiles(t *testing.T) {
	one := fixture(t, nil)["fixture.json"]
	for name, files := range map[string]map[string][]byte{
		"duplicate id across files": {"a.json": one, "b.json": one},
		"trailing data":             {"a.json": append(append([]byte{}, one...), []byte(`[]`)...)},
		"not an array":              {"a.json": []byte(`{"id":"x"}`)},
		"api key without api_key": {"a.json": []byte(`[{"id":"key-fixture","name":"K","kind":"api_key","group":"saas","icon":"key",
			"fields":[{"key":"token","required":true,"secret":true,"kind":"password"}],
			"probe":{"method":"GET","url":"https://api.example.com/me","auth":"bearer"},"lifetimes":{},
			"docs":"https://example.com","support":"https://example.com"}]`)},
		"database without tls_mode": {"a.json": []byte(`[{"id":"db","name":"DB","kind":"database","group":"database","icon":"db","engine":"postgres",
			"fields":[{"key":"host","kind":"text","pattern":"[a-z]+"},{"key":"port","kind":"number"},{"key":"database","kind":"text"},
			{"key":"user","kind":"text"},{"key":"password","secret":true,"kind":"password"}],
			"lifetimes":{},"docs":"https://example.com","support":"https://example.com"}]`)},
	} {
		if _, err := Parse(files); err == nil {
			t.Errorf("%s: Parse accepted it; want an error", name)
		}
	}
}

func TestParseErrorNamesTheEntry(t *testing.T) {
	_, err := Parse(fixture(t, func(p map[string]any) { obj(p, "oauth")["tokenUrl"] = "http://example.com/token" }))
	if err == nil || !strings.Contains(err.Error(), `"fixture"`) || !strings.Contains(err.Error(), "fixture.json") {
		t.Errorf("Parse error = %v; want it to name the file and the provider", err)
	}
}
