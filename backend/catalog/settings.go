package catalog

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"relink/backend/integration"
)

// FieldError is one invalid setting.
type FieldError struct {
	Field   string
	Problem *integration.Problem
}

// FieldErrors lists every invalid setting, so a form shows each message
// next to its field at once.
type FieldErrors struct {
	Fields []FieldError
}

func (e *FieldErrors) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Problem.Error()
	}
	return "invalid settings: " + strings.Join(parts, "; ")
}

// Is makes FieldErrors an integration.ErrInvalid: input the user corrects.
func (e *FieldErrors) Is(target error) bool { return target == integration.ErrInvalid }

// As yields the first field's Problem, the one a single-line caller (the
// CLI) shows.
func (e *FieldErrors) As(target any) bool {
	if p, ok := target.(**integration.Problem); ok && len(e.Fields) > 0 {
		*p = e.Fields[0].Problem
		return true
	}
	return false
}

func (e *FieldErrors) add(field, code string, kv ...string) {
	e.Fields = append(e.Fields, FieldError{field, integration.NewProblem(code, append([]string{"field", field}, kv...)...)})
}

const maxSettingLen = 2048

// echoableKeyRE matches unknown setting names safe to repeat in an error:
// short, lowercase, without digits, unlike keys and tokens.
var echoableKeyRE = regexp.MustCompile(`^[a-z][a-z_]{0,31}$`)

// ValidateSettings checks user settings against the provider's fields and
// returns them normalised: trimmed, defaults filled, empty optional ones
// dropped. Secret fields belong in the keychain and are rejected if
// present. The error is a *FieldErrors naming every bad field.
func (p Provider) ValidateSettings(in map[string]string) (map[string]string, error) {
	out := map[string]string{}
	errs := &FieldErrors{}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		if _, ok := p.field(k); !ok {
			if !echoableKeyRE.MatchString(k) {
				k = "?" // it may be a pasted secret: never echo it
			}
			errs.add(k, "error.field_unknown", "provider", p.ID)
		}
	}
	for _, f := range p.Fields {
		v, given := in[f.Key]
		if f.Secret {
			if given && v != "" {
				errs.add(f.Key, "error.field_secret_in_settings")
			}
			continue
		}
		if v = strings.TrimSpace(v); v == "" {
			v = f.Default
		}
		if v == "" {
			if f.Required {
				errs.add(f.Key, "error.field_required")
			}
			continue
		}
		if reason := f.check(v, p.Custom); reason != "" {
			var rule []string
			if reason == "range" {
				// Say the rule, not only that it was broken.
				rule = []string{"min", strconv.Itoa(f.Min), "max", strconv.Itoa(f.Max)}
			}
			errs.add(f.Key, "error.field_invalid", append([]string{"reason", reason}, rule...)...)
			continue
		}
		out[f.Key] = v
	}
	for _, f := range p.Fields {
		if f.RequiredWith != "" && out[f.RequiredWith] != "" && out[f.Key] == "" && !f.Secret {
			errs.add(f.Key, "error.field_required")
		}
		if f.ConflictsWith != "" && out[f.Key] != "" && out[f.ConflictsWith] != "" {
			errs.add(f.Key, "error.field_invalid", "reason", "conflict", "with", f.ConflictsWith)
		}
	}
	p.checkRedirectSettings(out, errs)
	// An issuer that was given but is invalid already has its error.
	if p.Custom && p.Kind == integration.KindOAuth2 && strings.TrimSpace(in["issuer"]) == "" && (out["authorization_endpoint"] == "" || out["token_endpoint"] == "") {
		errs.add("issuer", "error.field_issuer_or_endpoints")
	}
	sortFieldErrors(p, errs)
	if len(errs.Fields) > 0 {
		return nil, errs
	}
	return out, nil
}

// sortFieldErrors puts errors in form order so the first one (the one As
// yields) is the topmost field; unknown settings come last.
func sortFieldErrors(p Provider, errs *FieldErrors) {
	rank := func(key string) int {
		for i, f := range p.Fields {
			if f.Key == key {
				return i
			}
		}
		return len(p.Fields)
	}
	slices.SortStableFunc(errs.Fields, func(a, b FieldError) int { return rank(a.Field) - rank(b.Field) })
}

// check validates a non-empty value; it returns a stable reason token
// ("pattern", "range"…) for the Problem's params, or "" when valid.
// Loopback http URLs are accepted only when loopback is true (custom
// providers, so tests and local servers work).
func (f Field) check(v string, loopback bool) string {
	if len(v) > maxSettingLen {
		return "too_long"
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return "control_character"
		}
	}
	switch f.Kind {
	case "url":
		if err := checkURL(v, loopback); err != nil {
			return err.Error()
		}
	case "number":
		n, err := strconv.Atoi(v)
		if err != nil || strconv.Itoa(n) != v {
			return "not_a_number"
		}
		if n < f.Min || (f.Max != 0 && n > f.Max) {
			return "range"
		}
	case "select":
		ok := false
		for _, o := range f.Options {
			ok = ok || o == v
		}
		if !ok {
			return "option"
		}
	}
	if f.re != nil && !f.re.MatchString(v) {
		return "pattern"
	}
	return ""
}

// SecretField returns the key of the provider's main secret — api_key or
// password — or the OAuth client secret ("" when none).
func (p Provider) SecretField() string {
	for _, f := range p.Fields {
		if f.Secret {
			return f.Key
		}
	}
	return ""
}

// SecretOptional reports that the provider works without its first
// secret for these settings: the field is not required and the field it
// goes with (a MongoDB password with its user) is empty, as for a MongoDB
// server without authentication.
func (p Provider) SecretOptional(settings map[string]string) bool {
	f, ok := p.field(p.SecretField())
	return ok && !f.Required && (f.RequiredWith == "" || settings[f.RequiredWith] == "")
}

// SecretFields lists every secret field key (a database's password and
// SSH key, an OAuth client secret).
func (p Provider) SecretFields() []string {
	var out []string
	for _, f := range p.Fields {
		if f.Secret {
			out = append(out, f.Key)
		}
	}
	return out
}
