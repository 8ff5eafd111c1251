package catalog

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"relink/backend/integration"
)

// goodRule is a valid rule for the rejection cases to break one field of.
func goodRule() map[string]any {
	return map[string]any{
		"at": []any{"probe"}, "http": 403, "body": map[string]any{"error.code": []any{190}},
		"status": "needs_reauth", "cause": "token_expired", "problem": "problem.token_expired",
		"source": "https://example.com/docs/errors",
	}
}

func withRule(t *testing.T, edit func(r map[string]any)) map[string][]byte {
	t.Helper()
	return fixture(t, func(p map[string]any) {
		r := goodRule()
		edit(r)
		p["errors"] = []any{r}
	})
}

func TestErrorRuleParses(t *testing.T) {
	c, err := Parse(withRule(t, func(map[string]any) {}))
	if err != nil {
		t.Fatalf("Parse(good rule) = %v", err)
	}
	if p, _ := c.Get("fixture"); len(p.Errors) != 1 || p.Errors[0].c == nil {
		t.Errorf("rule not compiled at load: %+v", p.Errors)
	}
}

func TestErrorRuleRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(r map[string]any)
		want string
	}{
		{"unknown status", func(r map[string]any) { r["status"] = "broken" }, "unknown status"},
		{"unknown cause", func(r map[string]any) { r["cause"] = "bad_luck" }, "unknown cause"},
		{"no cause", func(r map[string]any) { delete(r, "cause") }, "unknown cause"},
		{"unknown problem code", func(r map[string]any) { r["problem"] = "problem.no_such_thing" }, "unknown problem code"},
		{"problem with another status", func(r map[string]any) { r["status"] = "error" }, "goes with needs_reauth/token_expired"},
		{"problem with another cause", func(r map[string]any) { r["cause"] = "access_revoked" }, "goes with needs_reauth/token_expired"},
		{"missing source", func(r map[string]any) { delete(r, "source") }, "source"},
		{"source not https", func(r map[string]any) { r["source"] = "http://example.com/docs" }, "source"},
		{"no place", func(r map[string]any) { r["at"] = []any{} }, "at:"},
		{"unknown place", func(r map[string]any) { r["at"] = []any{"callback"} }, "unknown or repeated place"},
		{"repeated place", func(r map[string]any) { r["at"] = []any{"probe", "probe"} }, "unknown or repeated place"},
		{"no condition", func(r map[string]any) { delete(r, "http"); delete(r, "body") }, "needs a condition"},
		{"bad status range", func(r map[string]any) { r["http"] = "500-400" }, "bad status range"},
		{"status out of range", func(r map[string]any) { r["http"] = 700 }, "bad status range"},
		{"status not a number", func(r map[string]any) { r["http"] = "teapot" }, "http status"},
		{"bad text pattern", func(r map[string]any) { r["text"] = "AADSTS(50173" }, "text: pattern"},
		{"bad body pattern", func(r map[string]any) { r["body"] = map[string]any{"error": map[string]any{"re": "[a-"}} }, "body error: pattern"},
		{"bad header pattern", func(r map[string]any) { r["headers"] = map[string]any{"Retry-After": "(("} }, "header Retry-After: pattern"},
		{"bad header name", func(r map[string]any) { r["headers"] = map[string]any{"Bad Header": ".*"} }, "bad header name"},
		{"bad body path", func(r map[string]any) { r["body"] = map[string]any{"error..code": 1} }, "bad JSON path"},
		{"unclosed index", func(r map[string]any) { r["body"] = map[string]any{"[0.errorCode": 1} }, "bad JSON path"},
		{"object as a body value", func(r map[string]any) { r["body"] = map[string]any{"error": map[string]any{"code": 1}} }, "body pattern"},
		{"empty value list", func(r map[string]any) { r["body"] = map[string]any{"error": []any{}} }, "empty list"},
		{"bad param name", func(r map[string]any) { r["params"] = map[string]any{"Retry After": "status"} }, "bad param name"},
		{"bad param path", func(r map[string]any) { r["params"] = map[string]any{"scope": "body:a..b"} }, "param scope"},
		{"unknown field", func(r map[string]any) { r["severity"] = "high" }, "unknown field"},
		{"help for what reauthorizing fixes", func(r map[string]any) { r["help"] = "https://example.com/admin" }, "help: only for"},
		{"help not https", func(r map[string]any) {
			r["status"], r["cause"], r["problem"], r["help"] = "error", "account_changed", "problem.api_disabled", "http://example.com/admin"
		}, "help:"},
		{"help param taken from the answer", func(r map[string]any) { r["params"] = map[string]any{"help": "body:error.link"} }, "bad param name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(withRule(t, tc.edit))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestErrorRulesOnlyForSaaS(t *testing.T) {
	files := map[string][]byte{}
	b, _ := providerFS.ReadFile("providers/postgres.json")
	var ps []map[string]any
	json.Unmarshal(b, &ps)
	ps[0]["errors"] = []any{goodRule()}
	files["postgres.json"], _ = json.Marshal(ps)
	if _, err := Parse(files); err == nil || !strings.Contains(err.Error(), "only saas providers") {
		t.Errorf("Parse(database with rules) = %v; want a rejection", err)
	}
}

// rulesFrom parses rules for the matcher tests.
func rulesFrom(t *testing.T, js string) Errors {
	t.Helper()
	var es Errors
	if err := json.Unmarshal([]byte(js), &es); err != nil {
		t.Fatal(err)
	}
	if err := es.validate(rawPatternCache{}); err != nil {
		t.Fatal(err)
	}
	return es
}

func answer(at string, status int, body string, h ...string) Answer {
	a := Answer{At: at, Status: status, Header: http.Header{}, Text: body}
	var doc any
	if json.Unmarshal([]byte(body), &doc) == nil {
		a.JSON = doc
	}
	for i := 0; i+1 < len(h); i += 2 {
		a.Header.Set(h[i], h[i+1])
	}
	return a
}

func TestErrorRulesMatch(t *testing.T) {
	const src = `"source": "https://example.com/docs"`
	es := rulesFrom(t, `[
	 {"at": ["token"], "text": "AADSTS50173[^0-9]", "status": "needs_reauth", "cause": "account_changed", "problem": "problem.password_changed", `+src+`},
	 {"at": ["probe", "data"], "body": {"error.code": 190, "error.error_subcode": [458, "459"]}, "status": "needs_reauth", "cause": "access_revoked", "problem": "problem.app_uninstalled", `+src+`},
	 {"at": ["probe"], "body": {"[0].errorCode": "API_DISABLED_FOR_ORG"}, "status": "error", "cause": "account_changed", "problem": "problem.api_disabled", `+src+`},
	 {"at": ["data"], "body": {"error.errors[].reason": {"re": "^(user)?[rR]ateLimitExceeded$"}}, "status": "error", "cause": "provider_issue", "problem": "problem.throttled", `+src+`},
	 {"at": ["probe"], "http": ["4xx", 503], "headers": {"X-Rate-Limit-Problem": "^day$"}, "status": "error", "cause": "provider_issue", "problem": "problem.rate_limited",
	  "params": {"retry_after": "header:Retry-After"}, `+src+`},
	 {"at": ["probe"], "http": "400-402", "body": {"error.message": {"re": "scope"}}, "status": "degraded", "cause": "account_changed", "problem": "problem.missing_scopes",
	  "params": {"scopes": "body:error.scopes[]", "literal": "x", "code": "status"}, `+src+`}
	]`)
	for _, tc := range []struct {
		name   string
		a      Answer
		want   string
		params map[string]string
	}{
		{"description pattern", answer("token", 400, `{"error":"invalid_grant","error_description":"AADSTS50173: The provided grant has expired"}`), "problem.password_changed", nil},
		{"pattern needs its place", answer("probe", 400, `{"error_description":"AADSTS50173: x"}`), "", nil},
		{"code list of numbers", answer("probe", 400, `{"error":{"code":190,"error_subcode":458}}`), "problem.app_uninstalled", nil},
		{"number matches its text", answer("data", 400, `{"error":{"code":"190","error_subcode":459}}`), "problem.app_uninstalled", nil},
		{"every body condition must hold", answer("probe", 400, `{"error":{"code":190,"error_subcode":460}}`), "", nil},
		{"array root by index", answer("probe", 403, `[{"message":"off","errorCode":"API_DISABLED_FOR_ORG"}]`), "problem.api_disabled", nil},
		{"index past the end", answer("probe", 403, `[]`), "", nil},
		{"any element of a nested array", answer("data", 403, `{"error":{"errors":[{"reason":"other"},{"reason":"userRateLimitExceeded"}]}}`), "problem.throttled", nil},
		{"object where a value is wanted", answer("data", 403, `{"error":{"errors":[{"reason":{"x":1}}]}}`), "", nil},
		{"header and status class", answer("probe", 429, ``, "X-Rate-Limit-Problem", "day", "Retry-After", "3600"), "problem.rate_limited", map[string]string{"retry_after": "3600"}},
		{"status outside the list", answer("probe", 500, ``, "X-Rate-Limit-Problem", "day"), "", nil},
		{"params from body, literal and status", answer("probe", 401, `{"error":{"message":"missing scope","scopes":["read_orders","b"]}}`), "problem.missing_scopes",
			map[string]string{"scopes": "read_orders", "literal": "x", "code": "401"}},
		{"not JSON", answer("probe", 401, `<html>scope</html>`), "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := es.Match(tc.a)
			got := ""
			if ok {
				got = r.Problem.Code
				if o, _ := integration.ProblemOutcome(got); o.Status != r.Status || o.Cause != r.Cause {
					t.Errorf("reading %s/%s disagrees with the mapping %v", r.Status, r.Cause, o)
				}
			}
			if got != tc.want {
				t.Fatalf("Match = %q, %v; want %q", got, ok, tc.want)
			}
			for k, v := range tc.params {
				if r.Problem.Params[k] != v {
					t.Errorf("param %s = %q; want %q", k, r.Problem.Params[k], v)
				}
			}
		})
	}
}

func TestErrorRuleHelpGoesToTheProblem(t *testing.T) {
	es := rulesFrom(t, `[{"at": ["data"], "http": 403, "status": "error", "cause": "account_changed", "problem": "problem.api_disabled",
	 "help": "https://admin.example.com/api", "source": "https://example.com/docs"}]`)
	r, ok := es.Match(answer("data", 403, `{}`))
	if !ok || r.Problem.Params[HelpParam] != "https://admin.example.com/api" {
		t.Errorf("Match = %+v, %v; want the help page as a param", r.Problem, ok)
	}
}

func TestErrorParamsAreShortAndOneLine(t *testing.T) {
	es := rulesFrom(t, `[{"at": ["probe"], "http": 429, "status": "error", "cause": "provider_issue", "problem": "problem.rate_limited",
	 "params": {"retry_after": "body:wait"}, "source": "https://example.com/docs"}]`)
	r, _ := es.Match(answer("probe", 429, `{"wait":"`+strings.Repeat("é", 200)+`\n\u0007"}`))
	if got := r.Problem.Params["retry_after"]; len(got) > maxParam+len("…") || strings.ContainsAny(got, "\n\a") || !strings.HasSuffix(got, "…") {
		t.Errorf("param = %q; want at most %d bytes on one line", got, maxParam)
	}
}

// dialectFixture mirrors the twins' fixture format.
type dialectFixture struct {
	Name    string            `json:"name"`
	Source  string            `json:"source"`
	At      string            `json:"at"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Want    struct {
		Status  integration.Status `json:"status"`
		Cause   integration.Cause  `json:"cause"`
		Problem string             `json:"problem"`
	} `json:"want"`
}

func readFixtures(t *testing.T, id string) []dialectFixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "dialects", id+".json"))
	if err != nil {
		t.Fatalf("%s: no fixtures: %v", id, err)
	}
	var fs []dialectFixture
	if err := json.Unmarshal(b, &fs); err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return fs
}

// TestEveryProviderSpeaksItsDialect: every built-in SaaS provider has rules
// and documented fixtures; every rule is exercised by a fixture; every
// fixture names its source and wants an outcome of the one mapping; and
// each OAuth provider covers the token endpoint and an outage.
func TestEveryProviderSpeaksItsDialect(t *testing.T) {
	c := load(t)
	for _, p := range c.List() {
		if p.Group != GroupSaaS || (p.Probe != nil && p.Probe.Interpret != "") {
			// A probe with its own interpreter (Commerce Intelligence's
			// Update Cycle) reads its answers itself.
			continue
		}
		t.Run(p.ID, func(t *testing.T) {
			fs := readFixtures(t, p.ID)
			if !p.Custom && len(p.Errors) == 0 {
				t.Errorf("no error rules")
			}
			used := make([]bool, len(p.Errors))
			seen := map[string]bool{}
			outage := false
			for _, f := range fs {
				if err := checkLink(f.Source); err != nil || f.Name == "" {
					t.Errorf("%q: source %q: %v", f.Name, f.Source, err)
				}
				if !slices.Contains(places, f.At) {
					t.Errorf("%q: unknown place %q", f.Name, f.At)
				}
				seen[f.At] = true
				outage = outage || f.Status >= 500
				if o, ok := integration.ProblemOutcome(f.Want.Problem); ok && (o.Status != f.Want.Status || o.Cause != f.Want.Cause) {
					t.Errorf("%q wants %s/%s with %s, which the mapping gives %v", f.Name, f.Want.Status, f.Want.Cause, f.Want.Problem, o)
				}
				h := make([]string, 0, 2*len(f.Headers))
				for k, v := range f.Headers {
					h = append(h, k, v)
				}
				if i := p.Errors.first(answer(f.At, f.Status, f.Body, h...)); i >= 0 {
					used[i] = true
				}
			}
			for i, u := range used {
				if !u {
					t.Errorf("rule %d (%s, %s) has no fixture", i, p.Errors[i].Problem, p.Errors[i].Source)
				}
			}
			if !outage {
				t.Errorf("no outage fixture")
			}
			if p.Kind == integration.KindOAuth2 && !seen[AtToken] {
				t.Errorf("no token endpoint fixture")
			}
		})
	}
}

var placeholderInSentence = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestRuleParamsFillTheirSentence: a rule's problem sentence never shows a
// raw {placeholder}.
func TestRuleParamsFillTheirSentence(t *testing.T) {
	b, err := os.ReadFile("../i18n/locales/en.json")
	if err != nil {
		t.Fatal(err)
	}
	var en map[string]string
	if err := json.Unmarshal(b, &en); err != nil {
		t.Fatal(err)
	}
	for _, p := range load(t).List() {
		for i, r := range p.Errors {
			msg, ok := en[r.Problem]
			if !ok {
				t.Errorf("%s rule %d: %s has no sentence", p.ID, i, r.Problem)
			}
			for _, m := range placeholderInSentence.FindAllStringSubmatch(msg, -1) {
				if _, ok := r.Params[m[1]]; !ok && m[1] != "status" {
					t.Errorf("%s rule %d: %s needs param %s", p.ID, i, r.Problem, m[1])
				}
				if m[1] == "status" && r.Params["status"] != "status" {
					t.Errorf("%s rule %d: %s needs param status: \"status\"", p.ID, i, r.Problem)
				}
			}
		}
	}
}

// FuzzErrorMatch feeds arbitrary answers to every provider's rules: the
// matcher must never panic, and any reading must agree with the one
// mapping. Seeds: the documented fixtures and testdata/fuzz/FuzzErrorMatch.
func FuzzErrorMatch(f *testing.F) {
	c, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/dialects/*.json")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		var fs []dialectFixture
		json.Unmarshal(b, &fs)
		for _, fx := range fs {
			f.Add(fx.At, fx.Status, fx.Body, "Retry-After", "30")
		}
	}
	providers := c.List()
	f.Fuzz(func(t *testing.T, at string, status int, body, hName, hValue string) {
		a := answer(at, status, body)
		if hName != "" && !strings.ContainsAny(hName, " \r\n:") {
			a.Header.Set(hName, hValue)
		}
		for _, p := range providers {
			r, ok := p.Errors.Match(a)
			if !ok {
				continue
			}
			o, known := integration.ProblemOutcome(r.Problem.Code)
			if !known || o.Status != r.Status || o.Cause != r.Cause || r.Source == "" {
				t.Fatalf("%s: reading %+v disagrees with the mapping %v", p.ID, r, o)
			}
			for k, v := range r.Problem.Params {
				if len(v) > maxParam+len("…") || strings.ContainsAny(v, "\r\n") {
					t.Fatalf("%s: param %s = %q", p.ID, k, v)
				}
			}
		}
	})
}

// BenchmarkErrorMatch reads a Microsoft token answer that only the last
// token rule matches, and a Google data answer no rule matches (the
// generic classifier's turn): the cost every failed check pays.
func BenchmarkErrorMatch(b *testing.B) {
	c, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	ms, _ := c.Get("microsoft")
	g, _ := c.Get("google-ads")
	aad := answer("token", 400, `{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity. Trace ID: 0f1e Correlation ID: 9a8b Timestamp: 2026-11-29 10:00:00Z","error_codes":[700082]}`)
	other := answer("data", 500, `{"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}}`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := ms.Errors.Match(aad); !ok {
			b.Fatal("no match")
		}
		if _, ok := g.Errors.Match(other); ok {
			b.Fatal("unexpected match")
		}
	}
}
