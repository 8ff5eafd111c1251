package i18n

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"relink/backend/integration"
)

func TestCataloguesHaveSameKeysAndParams(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(c.Languages()); got < 2 {
		t.Fatalf("got %d languages; want at least en and es", got)
	}
	param := regexp.MustCompile(`\{[a-zA-Z_]+\}`)
	for _, lang := range c.Languages() {
		for _, k := range c.Keys(Fallback) {
			v, ok := c.msgs[lang][k]
			if !ok {
				t.Errorf("%s: key %q missing (present in %s)", lang, k, Fallback)
				continue
			}
			if got, want := param.FindAllString(v, -1), param.FindAllString(c.msgs[Fallback][k], -1); !sameSet(got, want) {
				t.Errorf("%s: %q params got %v; want %v", lang, k, got, want)
			}
		}
		for _, k := range c.Keys(lang) {
			if _, ok := c.msgs[Fallback][k]; !ok {
				t.Errorf("%s: key %q missing (present in %s)", Fallback, k, lang)
			}
		}
	}
}

func TestEveryStatusAndCauseHasASentence(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range integration.AllStatuses {
		if !c.Has("status." + string(s)) {
			t.Errorf("no sentence for status.%s", s)
		}
	}
	for _, k := range integration.AllCauses {
		if !c.Has("cause." + string(k)) {
			t.Errorf("no sentence for cause.%s", k)
		}
	}
}

func TestMatch(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"es_ES.UTF-8", "es"}, {"es-MX", "es"}, {"en_US.UTF-8", "en"}, {"C", "en"}, {"POSIX", "en"},
		{"", "en"}, {"fr_FR.UTF-8", "en"}, {"ES", "es"}, {"es_ES@euro", "es"},
	} {
		if got := c.Match(tc.in); got != tc.want {
			t.Errorf("Match(%q): got %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestSystemLocalePrecedence(t *testing.T) {
	env := map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "es_ES.UTF-8"}
	if got := SystemLocale(func(k string) string { return env[k] }); got != "es_ES.UTF-8" {
		t.Errorf("got %q; want LC_ALL to win", got)
	}
	if got := SystemLocale(func(string) string { return "" }); got != Fallback {
		t.Errorf("got %q; want %q", got, Fallback)
	}
}

func TestExpand(t *testing.T) {
	for _, tc := range []struct {
		msg    string
		params map[string]string
		want   string
	}{
		{"hello {name}", map[string]string{"name": "Ana"}, "hello Ana"},
		{"{a}{b}", map[string]string{"a": "1", "b": "2"}, "12"},
		{"keep {unknown}", map[string]string{"x": "1"}, "keep {unknown}"},
		{"broken {brace", map[string]string{"brace": "x"}, "broken {brace"},
		{"no params", nil, "no params"},
	} {
		if got := expand(tc.msg, tc.params); got != tc.want {
			t.Errorf("expand(%q): got %q; want %q", tc.msg, got, tc.want)
		}
	}
}

// An error Relink did not expect reads as the generic sentence, never as
// Go's text; the text is what InternalDetail hands to the log and a bug
// report. Problems the catalogue can say have no such detail.
func TestUnexpectedErrorsReadAsTheGenericSentence(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	generic := c.T("es", integration.CodeInternal, nil)
	for _, tc := range []struct {
		name       string
		p          *integration.Problem
		wantText   string
		wantDetail string
	}{
		{"an error that is not a Problem", integration.AsProblem(errors.New("open /x/relink.db: disk I/O error")), generic, "open /x/relink.db: disk I/O error"},
		{"a code no catalogue knows", integration.NewProblem("error.does_not_exist"), generic, "error.does_not_exist"},
		{"a problem the catalogue says", integration.NewProblem("error.keychain_locked"), c.T("es", "error.keychain_locked", nil), ""},
	} {
		if got := c.Problem("es", tc.p); got != tc.wantText || strings.Contains(got, "disk I/O") {
			t.Errorf("%s: Problem = %q; want %q", tc.name, got, tc.wantText)
		}
		if got := c.InternalDetail(tc.p); got != tc.wantDetail {
			t.Errorf("%s: InternalDetail = %q; want %q", tc.name, got, tc.wantDetail)
		}
	}
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

// Quotes are typographic and one style per language (“…” in English, «…»
// in Spanish, ’ as apostrophe): no backticks or straight quotes.
func TestOneQuoteStyle(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range c.Languages() {
		for _, k := range c.Keys(lang) {
			if strings.HasPrefix(k, "provider.") {
				continue // the catalogue files' own text (TestEveryProviderHasStrings)
			}
			if v := c.T(lang, k, nil); strings.ContainsAny(v, "`'\"") {
				t.Errorf("%s %s = %q: use the language's typographic quotes", lang, k, v)
			}
		}
	}
}

func TestProblemRendersWrappedAndPreciseSentences(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    *integration.Problem
		want string
	}{
		{integration.Wrap("error.secret_unverified", integration.NewProblem("problem.offline")),
			"The credential could not be verified: " + c.T("en", "problem.offline", nil)},
		{integration.NewProblem("error.field_invalid", "field", "port", "reason", "range", "min", "1", "max", "65535"),
			"Port must be between 1 and 65535."},
	} {
		if got := c.Problem("en", tc.p); got != tc.want {
			t.Errorf("Problem(%v) = %q; want %q", tc.p, got, tc.want)
		}
	}
}
