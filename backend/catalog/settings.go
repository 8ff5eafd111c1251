package catalog

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"relink/backend/integration"
)

// FieldError is one invalid setting.
type FieldError struct {
	Field   string
	Problem *integration.Problem
}

// FieldErrors lists every invalid setting, so a form shows each message
// next to its field at once.
type FieldErrors []FieldError

func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Problem.Error()
	}
	return "invalid settings: " + strings.Join(parts, "; ")
}

// Is makes FieldErrors an integration.ErrInvalid (user input to correct).
func (fe FieldErrors) Is(target error) bool { return target == integration.ErrInvalid }

// As yields the first field's Problem.
func (fe FieldErrors) As(target any) bool {
	if p, ok := target.(**integration.Problem); ok && len(fe) > 0 {
		*p = fe[0].Problem
		return true
	}
	return false
}

// ErrUnknownSetting is reported for settings the provider does not have.
var ErrUnknownSetting = errors.New("unknown setting")

const maxSettingLen = 2048

// ValidateSettings checks user settings against the provider's fields and
// returns them normalised: trimmed, defaults filled. Secret fields must not
// be in settings (they go to the keychain) and are rejected if present.
func (p Provider) ValidateSettings(in map[string]string) (map[string]string, error) {
	out := map[string]string{}
	var errs FieldErrors
	bad := func(field, code string, kv ...string) {
		errs = append(errs, FieldError{field, integration.NewProblem(code, append([]string{"field", field}, kv...)...)})
	}
	known := map[string]bool{}
	for _, f := range p.Fields {
		known[f.Key] = true
	}
	for k := range in {
		if !known[k] {
			bad(k, "error.field_unknown", "provider", p.ID)
		}
	}
	for _, f := range p.Fields {
		v, given := in[f.Key]
		if f.Secret {
			if given && v != "" {
				bad(f.Key, "error.field_secret_in_settings")
			}
			continue
		}
		v = strings.TrimSpace(v)
		if v == "" {
			v = f.Default
		}
		if v == "" {
			if f.Required {
				bad(f.Key, "error.field_required")
			}
			continue
		}
		if err := f.check(v); err != nil {
			bad(f.Key, "error.field_invalid", "reason", err.Error())
			continue
		}
		out[f.Key] = v
	}
	if p.Custom && p.Kind == integration.KindOAuth2 && out["issuer"] == "" && (out["authorization_endpoint"] == "" || out["token_endpoint"] == "") {
		bad("issuer", "error.field_issuer_or_endpoints")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

func (f Field) check(v string) error {
	if len(v) > maxSettingLen {
		return errors.New("too long")
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return errors.New("control character")
		}
	}
	switch f.Kind {
	case "url":
		if err := checkURL(v, true); err != nil {
			return err
		}
	case "number":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			return errors.New("not a number in range")
		}
	case "select":
		ok := false
		for _, o := range f.Options {
			ok = ok || o == v
		}
		if !ok {
			return errors.New("not one of the options")
		}
	}
	if f.re != nil && !f.re.MatchString(v) {
		return errors.New("does not match the expected format")
	}
	return nil
}

// Render fills a template's {field} placeholders from validated settings.
// A placeholder that is the whole template takes a full URL field (checked
// again); anywhere else the value must match the field's pattern and is
// escaped, so tenant input can never change the host or path beyond the
// template's intent.
func (p Provider) Render(tmpl string, settings map[string]string) (string, error) {
	if tmpl == "" {
		return "", nil
	}
	fields := map[string]Field{}
	for _, f := range p.Fields {
		fields[f.Key] = f
	}
	var firstErr error
	out := placeholderRE.ReplaceAllStringFunc(tmpl, func(m string) string {
		key := m[1 : len(m)-1]
		f, ok := fields[key]
		v := settings[key]
		if !ok || f.Secret {
			firstErr = fmt.Errorf("template field %q: %w", key, ErrUnknownSetting)
			return ""
		}
		if v == "" {
			firstErr = integration.NewProblem("error.field_required", "field", key)
			return ""
		}
		if err := f.check(v); err != nil {
			firstErr = integration.NewProblem("error.field_invalid", "field", key, "reason", err.Error())
			return ""
		}
		if f.Kind == "url" {
			if m != tmpl && !strings.HasPrefix(tmpl, m) {
				firstErr = fmt.Errorf("template %q: a URL field must start the template", tmpl)
				return ""
			}
			return strings.TrimRight(v, "/")
		}
		if f.re == nil {
			firstErr = fmt.Errorf("template field %q has no pattern", key)
			return ""
		}
		return url.PathEscape(v)
	})
	if firstErr != nil {
		return "", firstErr
	}
	if err := checkURL(out, true); err != nil {
		return "", integration.NewProblem("error.field_invalid", "field", "url", "reason", err.Error())
	}
	return out, nil
}

// DocsURL is where a new OAuth client or API key is created.
func (p Provider) DocsURL() string { return p.Docs }

// HelpURL is the page for a cause, falling back to the docs.
func (p Provider) HelpURL(c integration.Cause) string {
	if u, ok := p.Help[string(c)]; ok {
		return u
	}
	if c == integration.CauseProviderIssue || c == integration.CauseAppProblem {
		return p.Support
	}
	return p.Docs
}

// SecretField returns the provider's secret field key ("" when none).
func (p Provider) SecretField() string {
	for _, f := range p.Fields {
		if f.Secret {
			return f.Key
		}
	}
	return ""
}

// Scopes splits a user's scope setting or returns the defaults.
func (p Provider) Scopes(settings map[string]string) []string {
	if s := strings.TrimSpace(settings["scopes"]); s != "" {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	}
	if p.OAuth == nil {
		return nil
	}
	return p.OAuth.DefaultScopes
}

// RequiredScopes returns what the integration needs to work.
func (p Provider) RequiredScopes(settings map[string]string) []string {
	if p.OAuth == nil {
		return nil
	}
	if p.Custom {
		return p.Scopes(settings)
	}
	return p.OAuth.RequiredScopes
}

// RefreshLifetime is the documented refresh token lifetime (0 = unknown).
func (p Provider) RefreshLifetime() time.Duration {
	d, _ := time.ParseDuration(p.Lifetimes.RefreshToken)
	return d
}

// RenderText fills {field} placeholders in a non-URL template (e.g. a
// basic-auth user "{email}/token") with validated settings.
func (p Provider) RenderText(tmpl string, settings map[string]string) (string, error) {
	var firstErr error
	out := placeholderRE.ReplaceAllStringFunc(tmpl, func(m string) string {
		key := m[1 : len(m)-1]
		v := settings[key]
		if v == "" {
			firstErr = integration.NewProblem("error.field_required", "field", key)
		}
		return v
	})
	return out, firstErr
}
