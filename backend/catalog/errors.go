package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"relink/backend/integration"
)

// Places where a provider answers, named by a rule's "at".
const (
	AtToken     = "token"     // token endpoint: code exchange and refresh
	AtProbe     = "probe"     // the who-am-I health check
	AtData      = "data"      // a data-access check
	AtRevoke    = "revoke"    // the revocation endpoint
	AtDiscovery = "discovery" // the authorization server's metadata
)

var places = []string{AtToken, AtProbe, AtData, AtRevoke, AtDiscovery}

// ErrorRule reads one documented class of a provider's error answers: where
// it happened, the HTTP status, values in the JSON body, a pattern over the
// body's text and response headers. Every condition given must hold. The
// rule yields a status, cause and problem that agree with the one mapping
// in integration.ProblemOutcome, and names the documentation it comes from.
type ErrorRule struct {
	At []string `json:"at"`
	// HTTP is a status, a range ("400-499") or a list of both.
	HTTP StatusMatch `json:"http,omitempty"`
	// Body maps a path into the JSON body ("error.code", "[0].errorCode",
	// "error.errors[].reason") to the values it may have: one value, a
	// list, or {"re": "pattern"}. [] means any element of an array.
	Body map[string]ValueMatch `json:"body,omitempty"`
	// Text is a pattern over the body as text and the WWW-Authenticate
	// error description (e.g. "AADSTS50173").
	Text string `json:"text,omitempty"`
	// Headers maps a response header to a pattern its value must match.
	Headers map[string]string  `json:"headers,omitempty"`
	Status  integration.Status `json:"status"`
	Cause   integration.Cause  `json:"cause"`
	Problem string             `json:"problem"`
	// Params of the problem: "header:Retry-After", "body:error.message",
	// "status", or a literal.
	Params map[string]string `json:"params,omitempty"`
	// Help is the page where the fix is made when it is not a
	// reauthorization (an admin console, the OAuth app settings); it goes
	// to the problem as the "help" param.
	Help string `json:"help,omitempty"`
	// Source is the provider's documentation page for this class of error.
	Source string `json:"source"`

	c *compiledRule
}

type compiledRule struct {
	body    []bodyCond
	text    *pattern
	headers []headerCond
	params  []paramSource
}

type bodyCond struct {
	path jsonPath
	m    ValueMatch
}

type headerCond struct {
	name string
	re   *pattern
}

type paramSource struct {
	key, header, literal string
	path                 jsonPath
	status, fromBody     bool
}

// StatusMatch is a set of HTTP status ranges.
type StatusMatch []statusRange

type statusRange struct{ lo, hi int }

// UnmarshalJSON reads 401, "400-499", "4xx" or a list of them.
func (m *StatusMatch) UnmarshalJSON(b []byte) error {
	var list []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
	} else {
		list = []json.RawMessage{b}
	}
	out := StatusMatch{}
	for _, raw := range list {
		var n int
		if json.Unmarshal(raw, &n) == nil {
			out = append(out, statusRange{n, n})
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("http status %s: a number or a range", raw)
		}
		r, err := parseStatusRange(s)
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	*m = out
	return nil
}

func parseStatusRange(s string) (statusRange, error) {
	if len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5' {
		lo := int(s[0]-'0') * 100
		return statusRange{lo, lo + 99}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return statusRange{}, fmt.Errorf("http status %q: a number, \"4xx\" or \"400-499\"", s)
	}
	return statusRange{lo, hi}, nil
}

func (m StatusMatch) matches(code int) bool {
	for _, r := range m {
		if code >= r.lo && code <= r.hi {
			return true
		}
	}
	return false
}

// ValueMatch is what a JSON value must be: one of several values (compared
// as text: 190 matches 190 and "190"), or a pattern.
type ValueMatch struct {
	Values  []string
	Pattern string
	re      *pattern
}

// UnmarshalJSON reads a scalar, a list of scalars or {"re": "pattern"}.
func (v *ValueMatch) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.HasPrefix(b, []byte("{")):
		var o struct {
			Re string `json:"re"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil || o.Re == "" {
			return errors.New(`a body pattern is {"re": "pattern"}`)
		}
		v.Pattern = o.Re
		return nil
	case bytes.HasPrefix(b, []byte("[")):
		var list []any
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		for _, x := range list {
			s, ok := scalarText(x)
			if !ok {
				return fmt.Errorf("body value %v: only strings, numbers and booleans", x)
			}
			v.Values = append(v.Values, s)
		}
		if len(v.Values) == 0 {
			return errors.New("empty list of body values")
		}
		return nil
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	s, ok := scalarText(x)
	if !ok {
		return fmt.Errorf("body value %s: only strings, numbers and booleans", b)
	}
	v.Values = []string{s}
	return nil
}

func (v ValueMatch) matches(x any) bool {
	s, ok := scalarText(x)
	if !ok {
		return false
	}
	if v.re != nil {
		return v.re.MatchString(s)
	}
	return slices.Contains(v.Values, s)
}

func scalarText(x any) (string, bool) {
	switch t := x.(type) {
	case string:
		return t, true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

// jsonPath is a parsed path: names, indexes and "any element" steps.
type jsonPath []pathStep

type pathStep struct {
	name  string
	index int // -1: any element; only when name is empty
}

var pathNameRE = regexp.MustCompile(`^[A-Za-z0-9_$-]+`)

// parseJSONPath reads "error.code", "[0].errorCode" or "errors[].reason".
func parseJSONPath(p string) (jsonPath, error) {
	var out jsonPath
	rest := p
	for first := true; rest != "" || first; first = false {
		if !first {
			switch {
			case strings.HasPrefix(rest, "."):
				rest = rest[1:]
			case strings.HasPrefix(rest, "["):
			default:
				return nil, fmt.Errorf("bad JSON path %q", p)
			}
		}
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("bad JSON path %q", p)
			}
			idx := -1
			if inner := rest[1:end]; inner != "" {
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 || n > 1000 {
					return nil, fmt.Errorf("bad index in JSON path %q", p)
				}
				idx = n
			}
			out = append(out, pathStep{index: idx})
			rest = rest[end+1:]
			continue
		}
		name := pathNameRE.FindString(rest)
		if name == "" {
			return nil, fmt.Errorf("bad JSON path %q", p)
		}
		out = append(out, pathStep{name: name})
		rest = rest[len(name):]
	}
	if len(out) == 0 || len(out) > 16 {
		return nil, fmt.Errorf("bad JSON path %q", p)
	}
	return out, nil
}

// each calls fn with every value the path selects, until fn returns true.
func (p jsonPath) each(doc any, fn func(any) bool) bool {
	if len(p) == 0 {
		return fn(doc)
	}
	step, rest := p[0], p[1:]
	if step.name != "" {
		m, ok := doc.(map[string]any)
		if !ok {
			return false
		}
		v, ok := m[step.name]
		return ok && rest.each(v, fn)
	}
	arr, ok := doc.([]any)
	if !ok {
		return false
	}
	if step.index >= 0 {
		return step.index < len(arr) && rest.each(arr[step.index], fn)
	}
	for _, v := range arr {
		if rest.each(v, fn) {
			return true
		}
	}
	return false
}

// Answer is what a provider sent back, as a rule reads it.
type Answer struct {
	At     string
	Status int
	Header http.Header
	// JSON is the parsed body, nil when the body is not JSON.
	JSON any
	// Text is the body as text plus any error description from the
	// WWW-Authenticate header.
	Text string
}

// Reading is what a rule made of an answer.
type Reading struct {
	Status  integration.Status
	Cause   integration.Cause
	Problem *integration.Problem
	Source  string
}

// Errors is a provider's ordered rules.
type Errors []ErrorRule

// Match returns the reading of the first rule that matches a, if any.
func (es Errors) Match(a Answer) (Reading, bool) {
	i := es.first(a)
	if i < 0 {
		return Reading{}, false
	}
	r := &es[i]
	return Reading{Status: r.Status, Cause: r.Cause, Problem: r.problem(a), Source: r.Source}, true
}

// first is the index of the first rule matching a, or -1.
func (es Errors) first(a Answer) int {
	for i := range es {
		if es[i].matches(a) {
			return i
		}
	}
	return -1
}

func (r *ErrorRule) matches(a Answer) bool {
	if r.c == nil || !slices.Contains(r.At, a.At) {
		return false
	}
	if len(r.HTTP) > 0 && !r.HTTP.matches(a.Status) {
		return false
	}
	for _, h := range r.c.headers {
		if !h.re.MatchString(a.Header.Get(h.name)) {
			return false
		}
	}
	for _, b := range r.c.body {
		if !b.path.each(a.JSON, b.m.matches) {
			return false
		}
	}
	return r.c.text == nil || r.c.text.MatchString(a.Text)
}

// HelpParam is the problem param that carries a rule's help page.
const HelpParam = "help"

// maxParam bounds a parameter taken from a provider's answer.
const maxParam = 120

func (r *ErrorRule) problem(a Answer) *integration.Problem {
	kv := make([]string, 0, 2*len(r.c.params))
	for _, ps := range r.c.params {
		val := ps.literal
		switch {
		case ps.status:
			val = strconv.Itoa(a.Status)
		case ps.header != "":
			val = a.Header.Get(ps.header)
		case ps.fromBody:
			val = ""
			ps.path.each(a.JSON, func(x any) bool {
				val, _ = scalarText(x)
				return true
			})
		}
		kv = append(kv, ps.key, cleanParam(val))
	}
	if r.Help != "" {
		kv = append(kv, HelpParam, r.Help)
	}
	return integration.NewProblem(r.Problem, kv...)
}

// cleanParam keeps a provider's text short and on one line.
func cleanParam(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxParam {
		s = strings.ToValidUTF8(s[:maxParam], "") + "…"
	}
	return strings.TrimSpace(s)
}

// validate checks the rules and their patterns.
func (es Errors) validate(patterns rawPatternCache) error {
	for i := range es {
		if err := es[i].validate(patterns); err != nil {
			return fmt.Errorf("errors[%d]: %w", i, err)
		}
	}
	return nil
}

// rawPatternCache keeps one pattern per unanchored expression.
type rawPatternCache map[string]*pattern

func (c rawPatternCache) compile(expr string) (*pattern, error) {
	if re, ok := c[expr]; ok {
		return re, nil
	}
	re, err := newPattern(expr)
	if err == nil {
		c[expr] = re
	}
	return re, err
}

func (r *ErrorRule) validate(patterns rawPatternCache) error {
	if len(r.At) == 0 {
		return errors.New("at: name where the answer comes from (token, probe, data, revoke, discovery)")
	}
	for i, at := range r.At {
		if !slices.Contains(places, at) || slices.Contains(r.At[:i], at) {
			return fmt.Errorf("at: unknown or repeated place %q", at)
		}
	}
	if len(r.HTTP) == 0 && len(r.Body) == 0 && r.Text == "" && len(r.Headers) == 0 {
		return errors.New("a rule needs a condition (http, body, text or headers)")
	}
	for _, s := range r.HTTP {
		if s.lo < 100 || s.hi > 599 || s.lo > s.hi {
			return fmt.Errorf("http: bad status range %d-%d", s.lo, s.hi)
		}
	}
	if !r.Status.Valid() {
		return fmt.Errorf("unknown status %q", r.Status)
	}
	if r.Cause == integration.CauseNone || !r.Cause.Valid() {
		return fmt.Errorf("unknown cause %q", r.Cause)
	}
	want, ok := integration.ProblemOutcome(r.Problem)
	if !ok {
		return fmt.Errorf("unknown problem code %q", r.Problem)
	}
	if want.Status != r.Status || want.Cause != r.Cause {
		return fmt.Errorf("problem %s goes with %s/%s, not %s/%s", r.Problem, want.Status, want.Cause, r.Status, r.Cause)
	}
	if r.Source == "" {
		return errors.New("source: the provider's documentation page is required")
	}
	if r.Help != "" {
		if err := checkLink(r.Help); err != nil {
			return fmt.Errorf("help: %w", err)
		}
		if !integration.FixedElsewhere(r.Status, r.Cause, integration.NewProblem(r.Problem)) {
			return errors.New("help: only for what is fixed elsewhere than by reauthorizing")
		}
	}
	if err := checkLink(r.Source); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	c := &compiledRule{}
	for _, p := range sortedKeys(r.Body) {
		path, err := parseJSONPath(p)
		if err != nil {
			return err
		}
		m := r.Body[p]
		if m.Pattern != "" {
			if m.re, err = patterns.compile(m.Pattern); err != nil {
				return fmt.Errorf("body %s: pattern: %w", p, err)
			}
		}
		c.body = append(c.body, bodyCond{path, m})
	}
	if r.Text != "" {
		re, err := patterns.compile(r.Text)
		if err != nil {
			return fmt.Errorf("text: pattern: %w", err)
		}
		c.text = re
	}
	for _, h := range sortedKeys(r.Headers) {
		if !headerNameRE.MatchString(h) {
			return fmt.Errorf("bad header name %q", h)
		}
		re, err := patterns.compile(r.Headers[h])
		if err != nil {
			return fmt.Errorf("header %s: pattern: %w", h, err)
		}
		c.headers = append(c.headers, headerCond{h, re})
	}
	for _, k := range sortedKeys(r.Params) {
		if !fieldKeyRE.MatchString(k) || k == HelpParam {
			return fmt.Errorf("bad param name %q", k)
		}
		ps := paramSource{key: k}
		src := r.Params[k]
		switch {
		case src == "status":
			ps.status = true
		case strings.HasPrefix(src, "header:"):
			ps.header = strings.TrimPrefix(src, "header:")
			if !headerNameRE.MatchString(ps.header) {
				return fmt.Errorf("param %s: bad header name %q", k, ps.header)
			}
		case strings.HasPrefix(src, "body:"):
			path, err := parseJSONPath(strings.TrimPrefix(src, "body:"))
			if err != nil {
				return fmt.Errorf("param %s: %w", k, err)
			}
			ps.path, ps.fromBody = path, true
		default:
			ps.literal = src
		}
		c.params = append(c.params, ps)
	}
	r.c = c
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
