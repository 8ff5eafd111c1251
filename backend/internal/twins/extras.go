package twins

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"relink/backend/catalog"
)

// extras are the parts of a catalogue entry that shape healthy answers
// beyond identity: the data-access probe, values the provider hands over
// at authorization that later requests use, and what a healthy answer
// holds. They are read from the entry's JSON, so the twin serves whatever
// the catalogue says (and nothing, for entries without them).
type extras struct {
	DataProbe *struct {
		URL           string            `json:"url"`
		SecretHeaders map[string]string `json:"secretHeaders"`
		Expect        []expect          `json:"expect"`
	} `json:"dataProbe"`
	Keep  []keep `json:"keep"`
	Probe struct {
		Expect []expect `json:"expect"`
	} `json:"probe"`
	// Redirect is the provider's redirect policy; LoopbackHost is the
	// host a provider that takes any loopback port insists on.
	Redirect *struct {
		LoopbackHost string `json:"loopbackHost"`
	} `json:"redirect"`
}

type keep struct {
	Key  string `json:"key"`
	From string `json:"from"` // token, redirect or probe
	Name string `json:"name"`
}

type expect struct {
	Path   string   `json:"path"`
	Test   string   `json:"test"` // nonEmpty, present, contains, oneOf
	Key    string   `json:"key"`
	Value  string   `json:"value"`
	Values []string `json:"values"`
}

// sampleKept are the values the twin hands over for kept keys, each in
// the shape the provider documents.
var sampleKept = map[string]string{
	"instance_url": "https://acme.my.salesforce.com",
	"realm_id":     "9130350000000001",
	"tenant_id":    "5b0b0c1e-8e1a-4d2b-9f3c-0a1b2c3d4e5f",
}

func readExtras(p catalog.Provider) (extras, map[string]string, error) {
	var x extras
	b, err := json.Marshal(p)
	if err != nil {
		return x, nil, err
	}
	if err := json.Unmarshal(b, &x); err != nil {
		return x, nil, fmt.Errorf("twin %s: %w", p.ID, err)
	}
	kept := map[string]string{}
	for _, k := range x.Keep {
		v, ok := sampleKept[k.Key]
		if !ok {
			return x, nil, fmt.Errorf("twin %s: no sample value for kept %q", p.ID, k.Key)
		}
		kept[k.Key] = v
	}
	return x, kept, nil
}

func (x extras) keptFrom(from string, kept map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range x.Keep {
		if k.From == from {
			out[k.Name] = kept[k.Key]
		}
	}
	return out
}

// loopbackHost is the host an unregistered (any-port loopback) redirect
// must name, "" when the entry does not say.
func (x extras) loopbackHost() string {
	if x.Redirect == nil {
		return ""
	}
	return x.Redirect.LoopbackHost
}

var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_]+)\}`)

// render fills {key} from kept values, then settings.
func render(tmpl string, kept, settings map[string]string) string {
	return placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		k := m[1 : len(m)-1]
		if v, ok := kept[k]; ok {
			return v
		}
		return settings[k]
	})
}

// satisfy makes doc meet each expectation, as a healthy provider's answer
// does.
func satisfy(doc any, es []expect, kept map[string]string) any {
	for _, e := range es {
		path := splitPath(e.Path)
		switch e.Test {
		case "nonEmpty":
			if empty(lookup(doc, path)) {
				doc = place(doc, path, []any{map[string]any{"id": "1", "name": "twin-1"}})
			}
		case "present":
			if lookup(doc, path) == nil {
				doc = place(doc, path, "1")
			}
		case "oneOf":
			if len(e.Values) > 0 {
				doc = place(doc, path, e.Values[0])
			}
		case "contains":
			want := render(e.Value, kept, nil)
			arr, _ := lookup(doc, path).([]any)
			found := false
			for _, el := range arr {
				m, _ := el.(map[string]any)
				found = found || (m != nil && m[e.Key] == want)
			}
			if !found {
				doc = place(doc, path, append(arr, map[string]any{e.Key: want}))
			}
		}
	}
	return doc
}

func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, ".")
}

func lookup(doc any, path []string) any {
	cur := doc
	for _, part := range path {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}
