package catalog

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"relink/backend/integration"
)

// ErrUnknownSetting is reported for a template placeholder or setting the
// provider does not declare (or declares secret).
var ErrUnknownSetting = errors.New("unknown setting")

var placeholderRE = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\}`)

// position is where a placeholder sits in a URL template; it decides how
// the value is checked and escaped.
type position int

const (
	posText  position = iota // not a URL: substituted as is
	posBase                  // a whole user-entered URL starting the template
	posHost                  // exactly one DNS label of the host
	posPath                  // exactly one path segment
	posQuery                 // one query parameter value
)

type part struct {
	lit string // literal text before the placeholder
	key string // "" for the trailing literal
	pos position
}

// parseURLTemplate splits a URL template into literals and placeholders
// and places each placeholder. A placeholder must fill a whole host label
// (followed by a fixed domain), a whole path segment or a whole query
// value, or be a URL field starting the template: tenant input can then
// never choose another host than the template intends.
func parseURLTemplate(t string) ([]part, error) {
	if err := checkBraces(t); err != nil {
		return nil, err
	}
	var parts []part
	state := posText // before the scheme's "://"
	prev := 0
	for _, m := range placeholderRE.FindAllStringSubmatchIndex(t, -1) {
		lit := t[prev:m[0]]
		if m[0] == 0 {
			state = posBase
		} else {
			state = advance(state, lit)
		}
		before := t[:m[0]]
		after := t[m[1]:]
		pos := state
		switch {
		case m[0] == 0:
			if after != "" && after[0] != '/' && after[0] != '?' {
				return nil, fmt.Errorf("template %q: a URL placeholder must be followed by / or ?", t)
			}
		case state == posHost:
			if !(strings.HasSuffix(before, "://") || strings.HasSuffix(before, ".")) || !fixedDomainFollows(after) {
				return nil, fmt.Errorf("template %q: a host placeholder must be a whole label under a fixed domain", t)
			}
		case state == posPath:
			if !strings.HasSuffix(before, "/") || (after != "" && after[0] != '/' && after[0] != '?') {
				return nil, fmt.Errorf("template %q: a path placeholder must be a whole segment", t)
			}
		case state == posQuery:
			if !strings.HasSuffix(before, "=") || (after != "" && after[0] != '&') {
				return nil, fmt.Errorf("template %q: a query placeholder must be a whole value", t)
			}
		default:
			return nil, fmt.Errorf("template %q: placeholder before the scheme", t)
		}
		parts = append(parts, part{lit: lit, key: t[m[2]:m[3]], pos: pos})
		if pos == posBase {
			state = posPath
		}
		prev = m[1]
	}
	if strings.Contains(t, "#") {
		return nil, fmt.Errorf("template %q: fragment in URL", t)
	}
	return append(parts, part{lit: t[prev:]}), nil
}

// fixedDomainFollows reports whether the rest of a host after a label
// placeholder is either another label placeholder or a fixed domain of at
// least two labels (".myshopify.com", not ".com"), so the user picks a
// name under the provider's domain, never the domain.
func fixedDomainFollows(after string) bool {
	host, _, _ := strings.Cut(after, "/")
	host, _, _ = strings.Cut(host, "?")
	if !strings.HasPrefix(host, ".") {
		return false
	}
	if strings.HasPrefix(host, ".{") {
		return true
	}
	host, _, _ = strings.Cut(host, ":")
	return strings.Count(host, ".") >= 2 && !strings.HasSuffix(host, ".")
}

// advance moves the URL parsing state across a literal.
func advance(state position, lit string) position {
	for i := 0; i < len(lit); i++ {
		switch state {
		case posText:
			if strings.HasPrefix(lit[i:], "://") {
				state = posHost
				i += 2
			}
		case posHost:
			switch lit[i] {
			case '/':
				state = posPath
			case '?':
				state = posQuery
			}
		case posPath:
			if lit[i] == '?' {
				state = posQuery
			}
		}
	}
	return state
}

// parseTextTemplate splits a non-URL template ("{email}/token").
func parseTextTemplate(t string) ([]part, error) {
	if err := checkBraces(t); err != nil {
		return nil, err
	}
	var parts []part
	prev := 0
	for _, m := range placeholderRE.FindAllStringSubmatchIndex(t, -1) {
		parts = append(parts, part{lit: t[prev:m[0]], key: t[m[2]:m[3]], pos: posText})
		prev = m[1]
	}
	return append(parts, part{lit: t[prev:]}), nil
}

// checkBraces rejects braces that are not part of a placeholder, so a
// typo like "{Shop}" fails at load instead of reaching a user.
func checkBraces(t string) error {
	if strings.ContainsAny(placeholderRE.ReplaceAllString(t, ""), "{}") {
		return fmt.Errorf("template %q: stray brace or malformed placeholder", t)
	}
	return nil
}

var hostLabelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,62}$`)

// Render fills a URL template's {field} placeholders from validated
// settings. Each value is checked against its field again and escaped for
// where it sits (see parseURLTemplate); the result is an absolute https
// URL, or loopback http when a custom provider's user-entered URL says so.
// Invalid or missing values give a *integration.Problem.
func (p Provider) Render(tmpl string, settings map[string]string) (string, error) {
	return p.renderWith(tmpl, func(key string) (string, error) { return p.settingValue(key, settings) })
}

// renderWith is Render with the placeholder values from value, already
// checked: a setting, or a value the provider gave at authorization.
func (p Provider) renderWith(tmpl string, value func(key string) (string, error)) (string, error) {
	if tmpl == "" {
		return "", nil
	}
	parts, err := parseURLTemplate(tmpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	blame := "url"
	for i, pt := range parts {
		b.WriteString(pt.lit)
		if pt.key == "" {
			continue
		}
		v, err := value(pt.key)
		if err != nil {
			return "", err
		}
		if i == 0 {
			blame = pt.key
		}
		invalid := func(reason string) error {
			return integration.NewProblem("error.field_invalid", "field", pt.key, "reason", reason)
		}
		switch pt.pos {
		case posBase:
			if len(parts) > 2 || parts[1].lit != "" {
				if u, _ := url.Parse(v); u == nil || u.RawQuery != "" || u.ForceQuery {
					return "", invalid("query")
				}
				v = strings.TrimRight(v, "/")
			}
			b.WriteString(v)
		case posHost:
			if !hostLabelRE.MatchString(v) {
				return "", invalid("host_label")
			}
			b.WriteString(v)
		case posPath:
			if v == "." || v == ".." {
				return "", invalid("path_segment")
			}
			b.WriteString(url.PathEscape(v))
		case posQuery:
			b.WriteString(url.QueryEscape(v))
		}
	}
	out := b.String()
	if err := checkURL(out, p.Custom && parts[0].pos == posBase); err != nil {
		return "", integration.NewProblem("error.field_invalid", "field", blame, "reason", err.Error())
	}
	return out, nil
}

// RenderText fills a non-URL template (a basic-auth user like
// "{email}/token", a header name) with validated settings. An empty
// optional field renders empty.
func (p Provider) RenderText(tmpl string, settings map[string]string) (string, error) {
	parts, err := parseTextTemplate(tmpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, pt := range parts {
		b.WriteString(pt.lit)
		if pt.key == "" {
			continue
		}
		f, ok := p.field(pt.key)
		if !ok || f.Secret {
			return "", fmt.Errorf("template field %q: %w", pt.key, ErrUnknownSetting)
		}
		if settings[pt.key] == "" && !f.Required {
			continue
		}
		v, err := p.settingValue(pt.key, settings)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// settingValue returns a non-secret setting checked against its field.
func (p Provider) settingValue(key string, settings map[string]string) (string, error) {
	f, ok := p.field(key)
	if !ok || f.Secret {
		return "", fmt.Errorf("template field %q: %w", key, ErrUnknownSetting)
	}
	v := settings[key]
	if v == "" {
		return "", integration.NewProblem("error.field_required", "field", key)
	}
	if reason := f.check(v, p.Custom); reason != "" {
		return "", integration.NewProblem("error.field_invalid", "field", key, "reason", reason)
	}
	return v, nil
}
