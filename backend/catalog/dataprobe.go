package catalog

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"relink/backend/integration"
)

// DataProbe is a cheap read of the data the user imports, run after the
// who-am-I probe with the same credential: identity gives the account,
// data access decides Connected. URL may hold {field} placeholders and
// {key} placeholders of the provider's Keep values.
type DataProbe struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	// SecretHeaders sends a secret field's value (read from the keychain)
	// as a header: header name → field key (Google Ads' developer-token).
	SecretHeaders map[string]string `json:"secretHeaders,omitempty"`
	// Expect is what a healthy answer holds.
	Expect []Expect `json:"expect,omitempty"`
	// Source is the provider's documentation of the call and its answer.
	Source string `json:"source"`
}

// Keep is a non-secret value the provider hands over at authorization
// that later requests need (Salesforce's instance_url, QuickBooks'
// realmId, the Xero tenant). It is stored with the integration.
type Keep struct {
	Key string `json:"key"`
	// From is where it comes from: "token" (a member of the token
	// response), "redirect" (a query parameter of the authorization
	// redirect) or "probe" (a dotted JSON path into the who-am-I answer).
	From string `json:"from"`
	Name string `json:"name"`
	// Pattern is an RE2 expression the whole value must match: a value
	// from the network becomes part of a URL that carries the credential.
	Pattern string `json:"pattern"`
	Source  string `json:"source"`

	re *pattern
}

// Expect is one condition a healthy answer meets, and the verdict when it
// does not.
type Expect struct {
	// Path is a dotted path into the JSON answer ("user.id",
	// "accountSummaries"); empty means the whole answer.
	Path string `json:"path,omitempty"`
	// Test is nonEmpty (an array, object or string with something in
	// it), present (there and not null), contains (an array holding an
	// object whose Key member equals Value; Value may be a {keep} key) or
	// oneOf (a string among Values).
	Test   string   `json:"test"`
	Key    string   `json:"key,omitempty"`
	Value  string   `json:"value,omitempty"`
	Values []string `json:"values,omitempty"`
	// Status, Cause and Problem are the verdict when the test fails.
	Status  integration.Status `json:"status"`
	Cause   integration.Cause  `json:"cause"`
	Problem string             `json:"problem"`
	// Param, when set, names the problem parameter that carries the
	// value found at Path (Zendesk's role).
	Param  string `json:"param,omitempty"`
	Source string `json:"source"`
}

// Expectation is an Expect rendered for one integration: Value filled.
type Expectation struct {
	Path, Test, Key, Value string
	Values                 []string
	Status                 integration.Status
	Cause                  integration.Cause
	Problem                string
	Param                  string
}

// DataRequest is a data probe rendered for one integration, before the
// credential is added (see ProbeRequest.WithCredential for where it goes).
type DataRequest struct {
	Method string
	URL    string
	Header http.Header
	// SecretHeaders maps a header to the secret field whose value it sends.
	SecretHeaders map[string]string
	Expect        []Expectation
}

// ErrMetadataMissing is returned when a data probe needs a value the
// provider gives at authorization and the integration has none (it was
// authorized before Relink kept it): a reauthorization fetches it.
var ErrMetadataMissing = errors.New("authorization metadata missing")

var (
	expectTests   = []string{"nonEmpty", "present", "contains", "oneOf"}
	keepSources   = []string{"token", "redirect", "probe"}
	problemCodeRE = regexp.MustCompile(`^problem\.[a-z0-9_]{1,60}$`)
)

// keep returns the provider's Keep with key.
func (p Provider) keep(key string) (Keep, bool) {
	for _, k := range p.Keep {
		if k.Key == key {
			return k, true
		}
	}
	return Keep{}, false
}

// KeepFrom lists the provider's Keep values taken from one source.
func (p Provider) KeepFrom(from string) []Keep {
	var out []Keep
	for _, k := range p.Keep {
		if k.From == from {
			out = append(out, k)
		}
	}
	return out
}

// Accept returns v when it is a valid value of k.
func (k Keep) Accept(v string) (string, bool) {
	if v == "" || k.re == nil || !k.re.MatchString(v) {
		return "", false
	}
	return v, true
}

// metaValue returns a kept value, checked again against its pattern.
func (p Provider) metaValue(key string, meta map[string]string) (string, error) {
	k, ok := p.keep(key)
	if !ok {
		return "", fmt.Errorf("template key %q: %w", key, ErrUnknownSetting)
	}
	v, ok := k.Accept(meta[key])
	if !ok {
		return "", fmt.Errorf("%s: %w", key, ErrMetadataMissing)
	}
	return v, nil
}

// DataProbeRequest renders the provider's data probe from an
// integration's settings and kept metadata. ok is false when the provider
// has none.
func (p Provider) DataProbeRequest(settings, meta map[string]string) (r DataRequest, ok bool, err error) {
	d := p.DataProbe
	if d == nil {
		return DataRequest{}, false, nil
	}
	r = DataRequest{Method: d.Method, Header: http.Header{}, SecretHeaders: d.SecretHeaders}
	r.URL, err = p.renderWith(d.URL, func(key string) (string, error) {
		if _, isKeep := p.keep(key); isKeep {
			return p.metaValue(key, meta)
		}
		return p.settingValue(key, settings)
	})
	if err != nil {
		return DataRequest{}, true, err
	}
	for k, v := range d.Headers {
		r.Header.Set(k, v)
	}
	if r.Expect, err = p.expectations(d.Expect, meta); err != nil {
		return DataRequest{}, true, err
	}
	return r, true, nil
}

// ProbeExpectations renders the who-am-I probe's expectations. On error
// (a kept value missing) it returns those before the one that needs it.
func (p Provider) ProbeExpectations(meta map[string]string) ([]Expectation, error) {
	if p.Probe == nil {
		return nil, nil
	}
	return p.expectations(p.Probe.Expect, meta)
}

func (p Provider) expectations(es []Expect, meta map[string]string) ([]Expectation, error) {
	var out []Expectation
	for _, e := range es {
		x := Expectation{Path: e.Path, Test: e.Test, Key: e.Key, Value: e.Value, Values: e.Values,
			Status: e.Status, Cause: e.Cause, Problem: e.Problem, Param: e.Param}
		if isPlaceholder(e.Value) {
			v, err := p.metaValue(e.Value[1:len(e.Value)-1], meta)
			if err != nil {
				// The ones before still count: an earlier, more telling
				// failure wins over a missing value.
				return out, err
			}
			x.Value = v
		}
		out = append(out, x)
	}
	return out, nil
}

// validateKeep checks the Keep values at load.
func (p *Provider) validateKeep(patterns patternCache) error {
	seen := map[string]bool{}
	for i := range p.Keep {
		k := &p.Keep[i]
		if !fieldKeyRE.MatchString(k.Key) || seen[k.Key] {
			return fmt.Errorf("keep %q: a unique lowercase key", k.Key)
		}
		seen[k.Key] = true
		if _, clash := p.field(k.Key); clash {
			return fmt.Errorf("keep %q: clashes with a field", k.Key)
		}
		if p.Kind != integration.KindOAuth2 {
			return fmt.Errorf("keep %q: only OAuth authorizations hand values over", k.Key)
		}
		if !slices.Contains(keepSources, k.From) || k.Name == "" {
			return fmt.Errorf("keep %q: from must be one of %v, with a name", k.Key, keepSources)
		}
		if k.From == "probe" && !jsonPathRE.MatchString(k.Name) {
			return fmt.Errorf("keep %q: bad JSON path %q", k.Key, k.Name)
		}
		if k.Pattern == "" {
			return fmt.Errorf("keep %q: a pattern is required (the value reaches a URL)", k.Key)
		}
		re, err := patterns.compile(k.Pattern)
		if err != nil {
			return fmt.Errorf("keep %q: %w", k.Key, err)
		}
		k.re = re
		if err := checkLink(k.Source); err != nil {
			return fmt.Errorf("keep %q source: %w", k.Key, err)
		}
	}
	return nil
}

// validateDataProbe checks the data probe at load, and the who-am-I
// probe's expectations.
func (p *Provider) validateDataProbe() error {
	if p.Probe != nil {
		if err := p.validateExpect(p.Probe.Expect); err != nil {
			return fmt.Errorf("probe: %w", err)
		}
	}
	d := p.DataProbe
	if d == nil {
		return nil
	}
	if p.Probe == nil {
		return errors.New("dataProbe: runs after a who-am-I probe; there is none")
	}
	if d.Method != "GET" {
		return fmt.Errorf("dataProbe: method %q: a read is a GET", d.Method)
	}
	if err := checkLink(d.Source); err != nil {
		return fmt.Errorf("dataProbe source: %w", err)
	}
	parts, err := parseURLTemplate(d.URL)
	if err != nil {
		return fmt.Errorf("dataProbe: %w", err)
	}
	for _, pt := range parts {
		if pt.key == "" {
			continue
		}
		k, isKeep := p.keep(pt.key)
		if !isKeep {
			continue
		}
		// A kept value starting the URL chooses the host: its pattern
		// must pin https and the provider's domain.
		if pt.pos == posBase && !strings.HasPrefix(k.Pattern, "https://") {
			return fmt.Errorf("dataProbe: keep %q starts the URL; its pattern must start with https://", k.Key)
		}
	}
	// The ordinary template rules for the rest: a kept base stands in as
	// a fixed host, kept values elsewhere as literals.
	rest := d.URL
	if parts[0].pos == posBase && isKeepKey(p, parts[0].key) {
		rest = "https://kept.invalid" + strings.TrimPrefix(rest, "{"+parts[0].key+"}")
	}
	if err := p.validateURLTemplate(keepAsText(p, rest)); err != nil {
		return fmt.Errorf("dataProbe: %w", err)
	}
	for k, v := range d.Headers {
		if !headerNameRE.MatchString(k) || strings.EqualFold(k, "Authorization") || strings.ContainsAny(v, "\r\n\x00{}") {
			return fmt.Errorf("dataProbe: header %q not allowed", k)
		}
	}
	for h, key := range d.SecretHeaders {
		f, ok := p.field(key)
		if !headerNameRE.MatchString(h) || strings.EqualFold(h, "Authorization") || !ok || !f.Secret {
			return fmt.Errorf("dataProbe: secret header %q must name a secret field, got %q", h, key)
		}
	}
	return p.validateExpect(d.Expect)
}

func isKeepKey(p *Provider, key string) bool {
	_, ok := p.keep(key)
	return key != "" && ok
}

// keepAsText replaces kept-value placeholders in path or query positions
// with a literal so validateURLTemplate, which knows only fields, checks
// the rest.
func keepAsText(p *Provider, t string) string {
	return placeholderRE.ReplaceAllStringFunc(t, func(m string) string {
		if isKeepKey(p, m[1:len(m)-1]) {
			return "x"
		}
		return m
	})
}

func (p *Provider) validateExpect(es []Expect) error {
	for i, e := range es {
		if !slices.Contains(expectTests, e.Test) {
			return fmt.Errorf("expect %d: unknown test %q", i, e.Test)
		}
		if e.Path != "" && !jsonPathRE.MatchString(e.Path) {
			return fmt.Errorf("expect %d: bad JSON path %q", i, e.Path)
		}
		switch e.Test {
		case "contains":
			if !jsonPathRE.MatchString(e.Key) || e.Value == "" {
				return fmt.Errorf("expect %d: contains needs key and value", i)
			}
			if isPlaceholder(e.Value) && !isKeepKey(p, e.Value[1:len(e.Value)-1]) {
				return fmt.Errorf("expect %d: value %q names no keep", i, e.Value)
			}
		case "oneOf":
			if len(e.Values) == 0 {
				return fmt.Errorf("expect %d: oneOf needs values", i)
			}
		}
		if !e.Status.Valid() || e.Status == integration.StatusConnected || e.Status == integration.StatusChecking || e.Status == integration.StatusPaused || e.Status == integration.StatusExpiring {
			return fmt.Errorf("expect %d: status %q is not a failure", i, e.Status)
		}
		if e.Cause == "" || !e.Cause.Valid() || e.Cause == integration.CauseAppProblem {
			return fmt.Errorf("expect %d: a cause the user can act on is required, got %q", i, e.Cause)
		}
		if !problemCodeRE.MatchString(e.Problem) {
			return fmt.Errorf("expect %d: bad problem code %q", i, e.Problem)
		}
		if e.Param != "" && !fieldKeyRE.MatchString(e.Param) {
			return fmt.Errorf("expect %d: bad param %q", i, e.Param)
		}
		if err := checkLink(e.Source); err != nil {
			return fmt.Errorf("expect %d source: %w", i, err)
		}
	}
	return nil
}
