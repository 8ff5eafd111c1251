package catalog

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// withData adds a valid data probe, a kept value and an expectation to
// the fixture, then applies edit.
func withData(edit func(p map[string]any)) func(map[string]any) {
	return func(p map[string]any) {
		p["keep"] = []any{map[string]any{"key": "instance", "from": "token", "name": "instance_url",
			"pattern": `https://[a-z0-9-]{1,30}\.example\.com`, "source": "https://example.com/docs/token"}}
		p["dataProbe"] = map[string]any{"method": "GET", "url": "{instance}/data?tenant={tenant}", "source": "https://example.com/docs/data",
			"expect": []any{map[string]any{"path": "items", "test": "nonEmpty", "status": "error", "cause": "account_changed",
				"problem": "problem.no_items", "source": "https://example.com/docs/data"}}}
		if edit != nil {
			edit(p)
		}
	}
}

func dataProbeOf(p map[string]any) map[string]any { return obj(p, "dataProbe") }

func expectOf(p map[string]any) map[string]any {
	return dataProbeOf(p)["expect"].([]any)[0].(map[string]any)
}

func keepOf(p map[string]any) map[string]any { return p["keep"].([]any)[0].(map[string]any) }

func TestDataProbeRendersWithKeptValues(t *testing.T) {
	c, err := Parse(fixture(t, withData(nil)))
	if err != nil {
		t.Fatalf("Parse = %v; want nil", err)
	}
	p, _ := c.Get("fixture")
	settings := map[string]string{"tenant": "acme", "client_id": "abc"}
	r, ok, err := p.DataProbeRequest(settings, map[string]string{"instance": "https://eu1.example.com"})
	if !ok || err != nil || r.URL != "https://eu1.example.com/data?tenant=acme" {
		t.Fatalf("DataProbeRequest = %q, %v, %v; want the kept instance and the tenant", r.URL, ok, err)
	}
	for _, bad := range []string{"", "https://evil.test", "https://eu1.example.com.evil.test", "http://eu1.example.com"} {
		if _, _, err := p.DataProbeRequest(settings, map[string]string{"instance": bad}); !errors.Is(err, ErrMetadataMissing) {
			t.Errorf("instance %q: err %v; want ErrMetadataMissing (never a URL)", bad, err)
		}
	}
}

func TestDataProbeSchemaRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(p map[string]any)
		want string
	}{
		{"unknown test", func(p map[string]any) { expectOf(p)["test"] = "exists" }, "unknown test"},
		{"healthy status on failure", func(p map[string]any) { expectOf(p)["status"] = "connected" }, "not a failure"},
		{"app_problem cause", func(p map[string]any) { expectOf(p)["cause"] = "app_problem" }, "cause"},
		{"problem not a code", func(p map[string]any) { expectOf(p)["problem"] = "No items!" }, "problem code"},
		{"expect without source", func(p map[string]any) { delete(expectOf(p), "source") }, "source"},
		{"probe without source", func(p map[string]any) { delete(dataProbeOf(p), "source") }, "source"},
		{"write method", func(p map[string]any) { dataProbeOf(p)["method"] = "POST" }, "GET"},
		{"contains without key", func(p map[string]any) { expectOf(p)["test"] = "contains"; expectOf(p)["value"] = "x" }, "key and value"},
		{"value naming no keep", func(p map[string]any) {
			expectOf(p)["test"], expectOf(p)["key"], expectOf(p)["value"] = "contains", "id", "{nope}"
		}, "names no keep"},
		{"keep without pattern", func(p map[string]any) { delete(keepOf(p), "pattern") }, "pattern"},
		{"keep starting a URL without https", func(p map[string]any) { keepOf(p)["pattern"] = `[a-z.]+` }, "https://"},
		{"keep from nowhere", func(p map[string]any) { keepOf(p)["from"] = "cookie" }, "from must be"},
		{"keep clashing with a field", func(p map[string]any) { keepOf(p)["key"] = "tenant" }, "clashes"},
		{"undeclared placeholder", func(p map[string]any) { dataProbeOf(p)["url"] = "https://api.example.com/{nope}" }, "undeclared"},
		{"undeclared placeholder after a kept base", func(p map[string]any) { dataProbeOf(p)["url"] = "{instance}/data/{nope}" }, "undeclared"},
		{"secret header on a plain field", func(p map[string]any) {
			dataProbeOf(p)["secretHeaders"] = map[string]any{"developer-token": "tenant"}
		}, "secret field"},
		{"credential header", func(p map[string]any) {
			dataProbeOf(p)["secretHeaders"] = map[string]any{"Authorization": "client_secret"}
		}, "secret header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(fixture(t, withData(tc.edit)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// Every expectation in the catalogue names its documentation and a
// problem both languages can say.
func TestCatalogueExpectationsHaveSourcesAndSentences(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string]map[string]string{}
	for _, lang := range []string{"en", "es"} {
		b, err := os.ReadFile("../i18n/locales/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		msgs[lang] = m
	}
	probes := 0
	for _, p := range c.List() {
		var es []Expect
		if p.Probe != nil {
			es = append(es, p.Probe.Expect...)
		}
		if p.DataProbe != nil {
			probes++
			es = append(es, p.DataProbe.Expect...)
		}
		for _, e := range es {
			for lang, m := range msgs {
				if m[e.Problem] == "" {
					t.Errorf("%s: %s has no %s sentence", p.ID, e.Problem, lang)
				}
			}
		}
	}
	if probes < 6 {
		t.Errorf("%d providers read their data; want GA4, Google Ads, Salesforce (both), Meta and QuickBooks", probes)
	}
}
