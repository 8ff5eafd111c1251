// Package catalog is the provider catalog: what Relink knows about each
// service — endpoints, scopes, tenant fields, how to probe health, known
// credential lifetimes and where to get help. The entries are data
// (providers/*.json, embedded) validated at load, so a bad entry fails the
// tests, never a user.
package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"sort"
	"strings"

	"relink/backend/integration"
)

//go:embed providers/*.json
var providerFS embed.FS

// Group is where the picker lists a provider.
const (
	GroupSaaS     = "saas"
	GroupDatabase = "database"
	// GroupStore holds store platforms whose data is really a database
	// (Magento, WooCommerce…): presets of a database provider.
	GroupStore = "store"
)

// Field is one setting a provider needs (tenant subdomain, host, client
// id…). The UI labels it with the i18n key "field.<key>".
type Field struct {
	Key      string `json:"key"`
	Required bool   `json:"required,omitempty"`
	// Secret fields go to the keychain, never into settings.
	Secret bool `json:"secret,omitempty"`
	// Kind is text, url, number, select, password or textarea.
	Kind string `json:"kind"`
	// Pattern is an RE2 expression the whole value must match.
	Pattern     string   `json:"pattern,omitempty"`
	Placeholder string   `json:"placeholder,omitempty"`
	Default     string   `json:"default,omitempty"`
	Options     []string `json:"options,omitempty"`
	// Min and Max bound a number field.
	Min int `json:"min,omitempty"`
	Max int `json:"max,omitempty"`
	// RequiredWith makes the field required when that other field is set
	// (an SSH user once an SSH host is given).
	RequiredWith string `json:"requiredWith,omitempty"`
	// ConflictsWith forbids setting both fields (a header or a query
	// parameter, not both).
	ConflictsWith string `json:"conflictsWith,omitempty"`

	re *pattern
}

// OAuth describes an OAuth 2.0 provider. URLs may hold {field}
// placeholders rendered from validated settings (see Provider.Render).
type OAuth struct {
	AuthURL   string `json:"authUrl"`
	TokenURL  string `json:"tokenUrl"`
	RevokeURL string `json:"revokeUrl,omitempty"`
	DeviceURL string `json:"deviceUrl,omitempty"`
	// Issuer is the authorization server's identifier (RFC 8414).
	Issuer string `json:"issuer,omitempty"`
	// Discovery means the endpoints come from the issuer's metadata when
	// the user gives an issuer (custom providers).
	Discovery      bool     `json:"discovery,omitempty"`
	DefaultScopes  []string `json:"defaultScopes"`
	RequiredScopes []string `json:"requiredScopes"`
	// ScopeSeparator joins scopes in the authorization request: " " (the
	// default) or "," for providers that want commas.
	ScopeSeparator string            `json:"scopeSeparator,omitempty"`
	ExtraParams    map[string]string `json:"extraParams,omitempty"`
	PKCE           bool              `json:"pkce"`
	// AuthStyle is how a confidential client authenticates at the token
	// endpoint: "params" (default) or "header" (HTTP Basic).
	AuthStyle string `json:"authStyle,omitempty"`
	// ClientSecret says whether the user's OAuth client has a secret:
	// none, optional or required.
	ClientSecret string `json:"clientSecret"`
}

// Probe is the health check: a who-am-I request with the credential. URL,
// AuthName, AuthPrefix, AuthQuery, BasicUser and AccountPath may hold
// {field} placeholders.
type Probe struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	// Auth is how the credential is sent: bearer (Authorization: Bearer),
	// header (AuthName: AuthPrefix credential; when AuthName renders
	// empty, Authorization with AuthPrefix or else Bearer), query
	// (parameter AuthName), basic (user BasicUser, password the
	// credential) or basic_key (user the credential, no password).
	Auth       string `json:"auth"`
	AuthName   string `json:"authName,omitempty"`
	AuthPrefix string `json:"authPrefix,omitempty"`
	// AuthQuery, for header auth, sends the credential as this query
	// parameter instead when it renders non-empty.
	AuthQuery string            `json:"authQuery,omitempty"`
	BasicUser string            `json:"basicUser,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	// AccountPath and ScopesPath are dotted paths into the JSON answer
	// ("user.email", "data.0.id"). ScopesHeader names a response header
	// listing granted scopes. With neither scopes source the token
	// response's scope is what was granted.
	AccountPath    string `json:"accountPath,omitempty"`
	ScopesPath     string `json:"scopesPath,omitempty"`
	ScopesHeader   string `json:"scopesHeader,omitempty"`
	ScopeSeparator string `json:"scopeSeparator,omitempty"`
	// Interpret names a provider-specific reading of a 2xx answer beyond
	// who-am-I: "update-cycle" is Commerce Intelligence's Update Cycle
	// Status (the last completed data update and its time zone).
	Interpret string `json:"interpret,omitempty"`
	// Expect is what a healthy who-am-I answer holds (see dataprobe.go).
	Expect []Expect `json:"expect,omitempty"`
}

// InterpretUpdateCycle marks a probe answering with Commerce
// Intelligence's Update Cycle Status.
const InterpretUpdateCycle = "update-cycle"

// Provider is one catalog entry.
type Provider struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	Kind        integration.Kind `json:"kind"`
	Group       string           `json:"group"`
	Icon        string           `json:"icon"`
	Description string           `json:"description,omitempty"`
	// Engine is the database driver family: postgres, mysql, sqlserver
	// or mongodb.
	Engine string `json:"engine,omitempty"`
	// Base makes this entry a preset of another provider: it takes the
	// base's kind, engine, fields, probe and lifetimes, and changes only
	// names, links and, through Defaults, the fields' default values (an
	// RDS instance's TLS mode, a store's tables).
	Base     string            `json:"base,omitempty"`
	Defaults map[string]string `json:"defaults,omitempty"`
	// Custom providers are configured entirely by the user; only their
	// user-entered URLs may point at loopback http.
	Custom   bool      `json:"custom,omitempty"`
	Fields   []Field   `json:"fields"`
	OAuth    *OAuth    `json:"oauth,omitempty"`
	Redirect *Redirect `json:"redirect,omitempty"`
	Probe    *Probe    `json:"probe,omitempty"`
	// DataProbe reads the data the user imports after Probe; Keep holds
	// what it needs from the authorization (see dataprobe.go).
	DataProbe *DataProbe `json:"dataProbe,omitempty"`
	Keep      []Keep     `json:"keep,omitempty"`
	Lifetimes Lifetimes  `json:"lifetimes"`
	// MinInterval is the least time between two probes the provider asks
	// for (scheduled checks and "Check now" alike); zero means none.
	MinInterval Duration `json:"minInterval,omitempty"`
	// Docs is where a new OAuth client or API key is created.
	Docs string `json:"docs"`
	// Help maps a cause to the page that fixes it.
	Help map[string]string `json:"help,omitempty"`
	// IntegrationsPage is where a platform's own integrations (the ones it
	// holds credentials for, which Relink cannot reauthorize) are repaired.
	IntegrationsPage string `json:"integrationsPage,omitempty"`
	Support          string `json:"support"`
	// Sources are the documentation pages the entry's facts (fields,
	// defaults, tables) come from.
	Sources []string `json:"sources,omitempty"`
	// Errors read the provider's own error answers before the generic
	// RFC 6749/6750 reading (see errors.go).
	Errors Errors `json:"errors,omitempty"`
}

// Catalog is the loaded, validated set of providers.
type Catalog struct {
	list []Provider
	byID map[string]int
}

// Load returns the embedded catalog, validated.
func Load() (*Catalog, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(providerFS, "providers", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := providerFS.ReadFile(path)
		files[path] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	return Parse(files)
}

// Parse builds a catalog from JSON files, each an array of providers, and
// validates every entry.
func Parse(files map[string][]byte) (*Catalog, error) {
	c := &Catalog{byID: map[string]int{}}
	patterns := patternCache{}
	rulePatterns := rawPatternCache{}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var presets []Provider
	fileOf := map[string]string{}
	for _, n := range names {
		var ps []Provider
		dec := json.NewDecoder(bytes.NewReader(files[n]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ps); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("catalog %s: trailing data after the array", n)
		}
		for _, p := range ps {
			if _, dup := fileOf[p.ID]; dup {
				return nil, fmt.Errorf("catalog %s: duplicate provider id %q", n, p.ID)
			}
			fileOf[p.ID] = n
			if p.Base != "" {
				presets = append(presets, p)
				continue
			}
			if err := p.validate(patterns); err != nil {
				return nil, fmt.Errorf("catalog %s: provider %q: %w", n, p.ID, err)
			}
			if len(p.Errors) > 0 && p.Group != GroupSaaS {
				return nil, fmt.Errorf("catalog %s: provider %q: only saas providers have error rules", n, p.ID)
			}
			if err := p.Errors.validate(rulePatterns); err != nil {
				return nil, fmt.Errorf("catalog %s: provider %q: %w", n, p.ID, err)
			}
			c.byID[p.ID] = len(c.list)
			c.list = append(c.list, p)
		}
	}
	// Presets are resolved against full entries only (no chains), after
	// every file is read, so file order does not matter.
	for _, p := range presets {
		full, err := c.resolve(p)
		if err == nil {
			err = full.validate(patterns)
		}
		if err != nil {
			return nil, fmt.Errorf("catalog %s: provider %q: %w", fileOf[p.ID], p.ID, err)
		}
		c.byID[p.ID] = len(c.list)
		c.list = append(c.list, full)
	}
	sort.SliceStable(c.list, func(i, j int) bool {
		a, b := c.list[i], c.list[j]
		if a.Group != b.Group {
			return groupRank[a.Group] < groupRank[b.Group]
		}
		if a.Custom != b.Custom {
			return !a.Custom
		}
		if la, lb := strings.ToLower(a.Name), strings.ToLower(b.Name); la != lb {
			return la < lb
		}
		return a.ID < b.ID
	})
	for i, p := range c.list {
		c.byID[p.ID] = i
	}
	return c, nil
}

// groupRank orders the groups in List.
var groupRank = map[string]int{GroupSaaS: 0, GroupDatabase: 1, GroupStore: 2}

// resolve builds a preset's full entry from its base.
func (c *Catalog) resolve(p Provider) (Provider, error) {
	i, ok := c.byID[p.Base]
	if !ok {
		return p, fmt.Errorf("base %q is not a full catalog entry", p.Base)
	}
	if p.Kind != "" || p.Engine != "" || p.Custom || p.Fields != nil || p.OAuth != nil || p.Probe != nil || p.Errors != nil || !reflect.ValueOf(p.Lifetimes).IsZero() {
		return p, errors.New("a preset sets only names, links and defaults; the rest comes from its base")
	}
	full := c.list[i]
	full.ID, full.Name, full.Group, full.Icon, full.Description = p.ID, p.Name, p.Group, p.Icon, p.Description
	full.Base, full.Defaults, full.Docs, full.Sources = p.Base, p.Defaults, p.Docs, p.Sources
	if p.Support != "" {
		full.Support = p.Support
	}
	if p.Help != nil {
		full.Help = p.Help
	}
	full.Fields = slices.Clone(full.Fields)
	for k, v := range p.Defaults {
		j := slices.IndexFunc(full.Fields, func(f Field) bool { return f.Key == k })
		if j < 0 || full.Fields[j].Secret {
			return p, fmt.Errorf("default for %q: no such non-secret field in %s", k, p.Base)
		}
		full.Fields[j].Default = v
	}
	return full, nil
}

// Get returns a provider by id.
func (c *Catalog) Get(id string) (Provider, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Provider{}, false
	}
	return c.list[i], true
}

// List returns every provider in a stable order: SaaS before databases,
// custom providers last in their group, then by name.
func (c *Catalog) List() []Provider { return slices.Clone(c.list) }

// field returns the provider's field with key.
func (p Provider) field(key string) (Field, bool) {
	for _, f := range p.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}
