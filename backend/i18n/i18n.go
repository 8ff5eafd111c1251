// Package i18n renders Relink's messages in the user's language from the
// same JSON catalogues the frontend uses (locales/<lang>.json), so a CLI
// line, a tray tooltip and a page in the window always say the same thing.
// Adding a language is adding one file to locales/.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"relink/backend/integration"
)

//go:embed locales/*.json
var localeFS embed.FS

// Fallback is the language used for missing keys and unknown locales.
const Fallback = "en"

// Catalog holds every language's messages.
type Catalog struct {
	msgs map[string]map[string]string
}

// Load reads the embedded catalogues.
func Load() (*Catalog, error) {
	entries, err := localeFS.ReadDir("locales")
	if err != nil {
		return nil, fmt.Errorf("read locales: %w", err)
	}
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, e := range entries {
		data, err := localeFS.ReadFile(path.Join("locales", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read locale %s: %w", e.Name(), err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("parse locale %s: %w", e.Name(), err)
		}
		c.msgs[strings.TrimSuffix(e.Name(), ".json")] = m
	}
	if _, ok := c.msgs[Fallback]; !ok {
		return nil, fmt.Errorf("locale %s.json missing", Fallback)
	}
	return c, nil
}

// Languages lists the available language codes, sorted.
func (c *Catalog) Languages() []string {
	out := make([]string, 0, len(c.msgs))
	for l := range c.msgs {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Keys returns the keys of one language, sorted.
func (c *Catalog) Keys(lang string) []string {
	out := make([]string, 0, len(c.msgs[lang]))
	for k := range c.msgs[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Match maps a locale such as "es_ES.UTF-8", "es-MX" or "C" to an available
// language, falling back to English.
func (c *Catalog) Match(locale string) string {
	l := strings.ToLower(locale)
	if i := strings.IndexAny(l, ".@"); i >= 0 {
		l = l[:i]
	}
	l = strings.ReplaceAll(l, "_", "-")
	if _, ok := c.msgs[l]; ok {
		return l
	}
	if i := strings.IndexByte(l, '-'); i > 0 {
		if _, ok := c.msgs[l[:i]]; ok {
			return l[:i]
		}
	}
	return Fallback
}

// SystemLocale reads the POSIX locale variables in their precedence order.
func SystemLocale(getenv func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			return v
		}
	}
	return Fallback
}

// T renders key in lang with {name} placeholders replaced; a key missing in
// lang falls back to English, then to the key itself so nothing is blank.
func (c *Catalog) T(lang, key string, params map[string]string) string {
	msg, ok := c.msgs[lang][key]
	if !ok {
		msg, ok = c.msgs[Fallback][key]
	}
	if !ok {
		return key
	}
	return expand(msg, params)
}

// Has reports whether key exists in the fallback catalogue.
func (c *Catalog) Has(key string) bool {
	_, ok := c.msgs[Fallback][key]
	return ok
}

// Plural picks key.one or key.other by n ({count} is set to n). English and
// Spanish share the rule "one when n == 1"; a language with other rules
// would add its categories here.
func (c *Catalog) Plural(lang, key string, n int, params map[string]string) string {
	p := map[string]string{"count": strconv.Itoa(n)}
	for k, v := range params {
		p[k] = v
	}
	form := "other"
	if n == 1 {
		form = "one"
	}
	return c.T(lang, key+"."+form, p)
}

// Problem renders a Problem; unknown codes fall back to the generic internal
// error sentence, never to an empty string.
func (c *Catalog) Problem(lang string, p *integration.Problem) string {
	if p == nil {
		return ""
	}
	if !c.Has(p.Code) {
		return c.T(lang, "error.internal", nil)
	}
	// As the frontend does: a "reason" picks the more precise sentence
	// (error.field_invalid.range) and a field is named by its label.
	code := p.Code
	if r := p.Params["reason"]; r != "" && c.Has(code+"."+r) {
		code += "." + r
	}
	params := p.Params
	if f := p.Params["field"]; f != "" && c.Has("field."+f) {
		params = withParam(params, "field", c.T(lang, "field."+f, nil))
	}
	if inner, ok := p.Params["problem"]; ok && c.Has(inner) {
		// A wrapped problem (integration.Wrap): its sentence, rendered
		// with the shared params, fills {problem}.
		innerParams := withParam(p.Params, "problem", "")
		delete(innerParams, "problem")
		params = withParam(params, "problem", c.Problem(lang, &integration.Problem{Code: inner, Params: innerParams}))
	}
	return c.T(lang, code, params)
}

// withParam returns a copy of params with key set to v.
func withParam(params map[string]string, key, v string) map[string]string {
	out := make(map[string]string, len(params)+1)
	for k, x := range params {
		out[k] = x
	}
	out[key] = v
	return out
}

func expand(msg string, params map[string]string) string {
	if len(params) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(msg, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(msg[i:], '}')
		if j < 0 {
			break
		}
		name := msg[i+1 : i+j]
		b.WriteString(msg[:i])
		if v, ok := params[name]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(msg[i : i+j+1])
		}
		msg = msg[i+j+1:]
	}
	b.WriteString(msg)
	return b.String()
}

// Translator renders in one current language; it is what the tray, the
// notifier and the CLI hold.
type Translator struct {
	Catalog *Catalog
	Lang    func() string
}

// T renders key in the current language.
func (t Translator) T(key string, params map[string]string) string {
	return t.Catalog.T(t.Lang(), key, params)
}

// Plural renders a count sentence in the current language.
func (t Translator) Plural(key string, n int, params map[string]string) string {
	return t.Catalog.Plural(t.Lang(), key, n, params)
}

// Problem renders a Problem in the current language.
func (t Translator) Problem(p *integration.Problem) string {
	return t.Catalog.Problem(t.Lang(), p)
}

// InternalDetail is the text behind a problem Relink did not expect (an
// error that was not a Problem, or a code no catalogue knows): the user is
// shown the generic sentence, and this goes to the log and a bug report.
// It is empty for every problem the catalogue can say.
func (c *Catalog) InternalDetail(p *integration.Problem) string {
	switch {
	case p == nil:
		return ""
	case p.Code == integration.CodeInternal:
		return p.Params["detail"]
	case !c.Has(p.Code):
		return p.Error()
	}
	return ""
}

// ProviderName is a catalogue provider's name in lang ("Custom API key"
// is not a brand); fallback when the catalogues do not name it.
func (c *Catalog) ProviderName(lang, id, fallback string) string {
	if key := "provider." + id + ".name"; c.Has(key) {
		return c.T(lang, key, nil)
	}
	return fallback
}
