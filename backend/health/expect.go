package health

import (
	"slices"
	"strconv"

	"relink/backend/catalog"
	"relink/backend/integration"
)

// Expectation is one condition a healthy answer meets and the verdict
// when it does not, as the catalogue renders it for an integration.
type Expectation = catalog.Expectation

// Unmet returns the verdict of the first expectation doc does not meet,
// or nil when it meets them all. A 200 that says "nothing is connected"
// (an empty list, an anonymous user) is a failure, not health.
func Unmet(doc any, es []Expectation) *Verdict {
	for _, e := range es {
		v := lookupAll(doc, e.Path)
		if met(v, e) {
			continue
		}
		var kv []string
		if e.Param != "" {
			kv = []string{e.Param, short(scalar(v))}
		}
		return &Verdict{Status: e.Status, Cause: e.Cause, Problem: integration.NewProblem(e.Problem, kv...)}
	}
	return nil
}

// StringAt reads the JSON scalar at a dotted path as text, "" when there
// is none.
func StringAt(doc any, path string) string { return stringAt(doc, path) }

// lookupAll is lookup, with an empty path meaning the whole document.
func lookupAll(doc any, path string) any {
	if path == "" {
		return doc
	}
	return lookup(doc, path)
}

func met(v any, e Expectation) bool {
	switch e.Test {
	case "present":
		return v != nil
	case "nonEmpty":
		switch x := v.(type) {
		case []any:
			return len(x) > 0
		case map[string]any:
			return len(x) > 0
		case string:
			return x != ""
		}
		return false
	case "contains":
		items, _ := v.([]any)
		for _, it := range items {
			if scalar(lookup(it, e.Key)) == e.Value {
				return true
			}
		}
		return false
	case "oneOf":
		s, ok := v.(string)
		return ok && slices.Contains(e.Values, s)
	}
	// An unknown test is never met: the catalog validates tests at load,
	// so this is Relink's bug and must not read as health.
	return false
}

// scalar renders a JSON scalar as text; anything else is empty.
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}
