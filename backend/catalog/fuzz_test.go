package catalog

import (
	"net/url"
	"strings"
	"testing"

	"relink/backend/integration"
)

// FuzzParse feeds arbitrary catalog files and one value for every field.
// Whatever parses must hold the invariants the app relies on, and every
// URL it renders must stay https (loopback http only for a custom
// provider's user-entered URL). Seeds: the embedded files and
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	entries, err := providerFS.ReadDir("providers")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, _ := providerFS.ReadFile("providers/" + e.Name())
		f.Add(b, "acme")
	}
	f.Fuzz(func(t *testing.T, data []byte, value string) {
		c, err := Parse(map[string][]byte{"f.json": data})
		if err != nil {
			return
		}
		for _, p := range c.List() {
			if got, ok := c.Get(p.ID); !ok || got.ID != p.ID {
				t.Fatalf("Get(%q) after List: %v", p.ID, ok)
			}
			if !p.Kind.Valid() || (p.Kind == integration.KindOAuth2) != (p.OAuth != nil) || (p.Group == GroupSaaS && p.Probe == nil) {
				t.Fatalf("%s: kind %q with oauth %v, probe %v", p.ID, p.Kind, p.OAuth != nil, p.Probe != nil)
			}
			settings := map[string]string{}
			for _, fl := range p.Fields {
				settings[fl.Key] = value
			}
			var templates []string
			if p.OAuth != nil {
				templates = append(templates, p.OAuth.AuthURL, p.OAuth.TokenURL, p.OAuth.RevokeURL, p.OAuth.DeviceURL, p.OAuth.Issuer)
			}
			if p.Probe != nil {
				templates = append(templates, p.Probe.URL)
			}
			for _, tmpl := range templates {
				got, err := p.Render(tmpl, settings)
				if err != nil || got == "" {
					continue
				}
				u, perr := url.Parse(got)
				userURL := strings.HasPrefix(tmpl, "{")
				if perr != nil || u.User != nil || u.Fragment != "" ||
					!(u.Scheme == "https" || (u.Scheme == "http" && p.Custom && userURL && IsLoopbackHost(u.Hostname()))) {
					t.Fatalf("%s: Render(%q, %q) = %q", p.ID, tmpl, value, got)
				}
			}
		}
	})
}

// FuzzRender feeds tenant input to each kind of placeholder position and
// checks that it never leaves the place the template gives it. Seeds:
// testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	c := load(f)
	shop := get(f, c, "shopify")
	ms := get(f, c, "microsoft")
	custom := get(f, c, "custom-oauth2")
	fx, err := Parse(fixture(f, func(p map[string]any) {
		fieldAt(p, 0)["pattern"] = `[^\x00-\x1f]{1,60}` // anything printable: escaping alone must hold
		obj(p, "oauth")["authUrl"] = "https://id.example.com/t/{tenant}/authorize"
	}))
	if err != nil {
		f.Fatal(err)
	}
	query := get(f, fx, "fixture")
	sf, qbo := get(f, c, "salesforce"), get(f, c, "quickbooks")
	f.Fuzz(func(t *testing.T, v string) {
		// Values the provider hands over at authorization come from the
		// network and reach a URL that carries the credential.
		if r, _, err := sf.DataProbeRequest(nil, map[string]string{"instance_url": v}); err == nil {
			u, perr := url.Parse(r.URL)
			host := ""
			if perr == nil {
				host = u.Hostname()
			}
			if perr != nil || u.Scheme != "https" || u.User != nil || u.RawQuery != "" || u.Path != "/services/data/v62.0/" ||
				!(strings.HasSuffix(host, ".salesforce.com") || strings.HasSuffix(host, ".force.com") ||
					strings.HasSuffix(host, ".salesforce.mil") || strings.HasSuffix(host, ".cloudforce.com")) {
				t.Fatalf("instance_url %q rendered %q outside Salesforce", v, r.URL)
			}
		}
		if r, _, err := qbo.DataProbeRequest(nil, map[string]string{"realm_id": v}); err == nil {
			u, perr := url.Parse(r.URL)
			if perr != nil || u.Host != "quickbooks.api.intuit.com" || u.Path != "/v3/company/"+v+"/companyinfo/"+v || u.RawQuery != "" {
				t.Fatalf("realmId %q rendered %q outside its segments", v, r.URL)
			}
		}
		if got, err := shop.Render(shop.OAuth.AuthURL, map[string]string{"shop": v}); err == nil {
			u, perr := url.Parse(got)
			if perr != nil || u.Scheme != "https" || u.Host != v+".myshopify.com" || u.Path != "/admin/oauth/authorize" || u.RawQuery != "" {
				t.Fatalf("shop %q rendered %q outside the template", v, got)
			}
		}
		if got, err := ms.Render(ms.OAuth.TokenURL, map[string]string{"tenant": v}); err == nil {
			u, perr := url.Parse(got)
			if perr != nil || u.Host != "login.microsoftonline.com" || u.Path != "/"+v+"/oauth2/v2.0/token" || strings.Contains(v, "/") || u.RawQuery != "" {
				t.Fatalf("tenant %q rendered %q outside the template", v, got)
			}
		}
		if got, err := query.Render(query.OAuth.AuthURL, map[string]string{"tenant": v}); err == nil {
			u, perr := url.Parse(got)
			if perr != nil || u.Host != "id.example.com" || u.Path != "/t/"+v+"/authorize" || u.RawQuery != "" || u.Fragment != "" {
				t.Fatalf("path value %q rendered %q outside its segment", v, got)
			}
		}
		if got, err := query.Render(query.Probe.URL, map[string]string{"tenant": v}); err == nil {
			u, perr := url.Parse(got)
			if perr != nil || u.Host != "api.example.com" || u.Path != "/v1/me" || len(u.Query()) != 1 || u.Query().Get("tenant") != v {
				t.Fatalf("query value %q rendered %q outside its parameter", v, got)
			}
		}
		if got, err := custom.Render(custom.OAuth.Issuer, map[string]string{"issuer": v}); err == nil {
			u, perr := url.Parse(got)
			if perr != nil || got != v || u.User != nil || u.Fragment != "" || u.RawQuery != "" ||
				!(u.Scheme == "https" || (u.Scheme == "http" && IsLoopbackHost(u.Hostname()))) {
				t.Fatalf("issuer %q rendered %q", v, got)
			}
		}
	})
}
