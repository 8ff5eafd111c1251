// Package catalog is the provider catalog: what Relink knows about each
// service — endpoints, scopes, tenant fields, how to probe health, known
// credential lifetimes and where to get help. The entries are data
// (providers/*.json, embedded) validated at load, so a bad entry fails the
// tests, never a user.
package catalog

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"relink/backend/integration"
)

//go:embed providers/*.json
var providerFS embed.FS

// Field is one setting a provider needs (tenant subdomain, host, client
// id…). Its label is the i18n key "field.<key>".
type Field struct {
	Key         string   `json:"key"`
	Required    bool     `json:"required,omitempty"`
	Secret      bool     `json:"secret,omitempty"`
	Kind        string   `json:"kind"` // text, url, number, select, password, textarea
	Pattern     string   `json:"pattern,omitempty"`
	Placeholder string   `json:"placeholder,omitempty"`
	Default     string   `json:"default,omitempty"`
	Options     []string `json:"options,omitempty"`
	re          *regexp.Regexp
}

// OAuth describes an OAuth 2.0 provider. URLs may hold {field}
// placeholders rendered from validated settings.
type OAuth struct {
	AuthURL        string            `json:"authUrl"`
	TokenURL       string            `json:"tokenUrl"`
	RevokeURL      string            `json:"revokeUrl,omitempty"`
	DeviceURL      string            `json:"deviceUrl,omitempty"`
	Issuer         string            `json:"issuer,omitempty"`
	Discovery      bool              `json:"discovery,omitempty"` // endpoints may come from the issuer's metadata
	DefaultScopes  []string          `json:"defaultScopes"`
	RequiredScopes []string          `json:"requiredScopes"`
	ScopeSeparator string            `json:"scopeSeparator,omitempty"`
	ExtraParams    map[string]string `json:"extraParams,omitempty"`
	PKCE           bool              `json:"pkce"`
	AuthStyle      string            `json:"authStyle,omitempty"` // params or header, for confidential clients
	ClientSecret   string            `json:"clientSecret"`        // none, optional or required
}

// Probe is the health check request: a who-am-I call with the credential.
type Probe struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	// Auth is how the credential is sent: bearer, header, query, basic
	// (user from BasicUser, password = secret) or basic_key (user = secret).
	Auth           string            `json:"auth"`
	AuthName       string            `json:"authName,omitempty"`
	AuthPrefix     string            `json:"authPrefix,omitempty"`
	BasicUser      string            `json:"basicUser,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	AccountPath    string            `json:"accountPath,omitempty"`
	ScopesPath     string            `json:"scopesPath,omitempty"`
	ScopesHeader   string            `json:"scopesHeader,omitempty"`
	ScopeSeparator string            `json:"scopeSeparator,omitempty"`
}

// Lifetimes are the provider's documented credential lifetimes (Go
// durations; empty when unknown or unlimited).
type Lifetimes struct {
	AccessToken  string `json:"accessToken,omitempty"`
	RefreshToken string `json:"refreshToken,omitempty"`
	Note         string `json:"note,omitempty"`
}

// Provider is one catalog entry.
type Provider struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Kind        integration.Kind  `json:"kind"`
	Group       string            `json:"group"` // saas or database
	Icon        string            `json:"icon"`
	Description string            `json:"description,omitempty"`
	Engine      string            `json:"engine,omitempty"` // databases: postgres, mysql, sqlserver
	Custom      bool              `json:"custom,omitempty"`
	Fields      []Field           `json:"fields"`
	OAuth       *OAuth            `json:"oauth,omitempty"`
	Probe       *Probe            `json:"probe,omitempty"`
	Lifetimes   Lifetimes         `json:"lifetimes"`
	Docs        string            `json:"docs"`
	Help        map[string]string `json:"help,omitempty"` // cause → page
	Support     string            `json:"support"`
}

// Catalog is the loaded, validated set of providers.
type Catalog struct {
	list []Provider
	byID map[string]int
}

// Load returns the embedded catalog.
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
	return Parse(files, false)
}

// Parse builds a catalog from JSON files (each an array of providers).
// allowLoopback permits http://127.0.0.1 endpoints, for test fixtures only.
func Parse(files map[string][]byte, allowLoopback bool) (*Catalog, error) {
	c := &Catalog{byID: map[string]int{}}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var ps []Provider
		dec := json.NewDecoder(strings.NewReader(string(files[n])))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ps); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", n, err)
		}
		for _, p := range ps {
			if err := p.validate(allowLoopback); err != nil {
				return nil, fmt.Errorf("catalog %s: provider %q: %w", n, p.ID, err)
			}
			if _, dup := c.byID[p.ID]; dup {
				return nil, fmt.Errorf("catalog %s: duplicate provider id %q", n, p.ID)
			}
			c.byID[p.ID] = len(c.list)
			c.list = append(c.list, p)
		}
	}
	sort.SliceStable(c.list, func(i, j int) bool {
		a, b := c.list[i], c.list[j]
		if a.Group != b.Group {
			return a.Group > b.Group // saas before database
		}
		if a.Custom != b.Custom {
			return !a.Custom
		}
		return strings.ToLower(a.Name) < strings.ToLower(b.Name)
	})
	for i, p := range c.list {
		c.byID[p.ID] = i
	}
	return c, nil
}

// Get returns a provider by id.
func (c *Catalog) Get(id string) (Provider, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Provider{}, false
	}
	return c.list[i], true
}

// List returns every provider: SaaS then databases, custom last, by name.
func (c *Catalog) List() []Provider { return c.list }

var (
	idRE          = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,40}$`)
	fieldKeyRE    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)
	placeholderRE = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\}`)
)

func (p *Provider) validate(allowLoopback bool) error {
	if !idRE.MatchString(p.ID) {
		return errors.New("id must be lowercase letters, digits and dashes")
	}
	if p.Name == "" || p.Icon == "" {
		return errors.New("name and icon are required")
	}
	if !p.Kind.Valid() {
		return fmt.Errorf("unknown kind %q", p.Kind)
	}
	if p.Group != "saas" && p.Group != "database" {
		return fmt.Errorf("group must be saas or database, got %q", p.Group)
	}
	if err := checkURL(p.Docs, false); err != nil {
		return fmt.Errorf("docs: %w", err)
	}
	if err := checkURL(p.Support, false); err != nil {
		return fmt.Errorf("support: %w", err)
	}
	for cause, u := range p.Help {
		if !integration.Cause(cause).Valid() || cause == "" {
			return fmt.Errorf("help: unknown cause %q", cause)
		}
		if err := checkURL(u, false); err != nil {
			return fmt.Errorf("help %s: %w", cause, err)
		}
	}
	for _, d := range []string{p.Lifetimes.AccessToken, p.Lifetimes.RefreshToken} {
		if d != "" {
			if _, err := time.ParseDuration(d); err != nil {
				return fmt.Errorf("lifetimes: %w", err)
			}
		}
	}
	seen := map[string]bool{}
	secrets := 0
	for i := range p.Fields {
		f := &p.Fields[i]
		if !fieldKeyRE.MatchString(f.Key) || seen[f.Key] {
			return fmt.Errorf("field %q: bad or duplicate key", f.Key)
		}
		seen[f.Key] = true
		switch f.Kind {
		case "text", "url", "number", "password", "textarea":
		case "select":
			if len(f.Options) == 0 {
				return fmt.Errorf("field %s: select needs options", f.Key)
			}
		default:
			return fmt.Errorf("field %s: unknown kind %q", f.Key, f.Kind)
		}
		if f.Secret {
			secrets++
			if f.Kind != "password" && f.Kind != "textarea" {
				return fmt.Errorf("field %s: a secret must be a password or textarea field", f.Key)
			}
		}
		if f.Pattern != "" {
			re, err := regexp.Compile("^(?:" + f.Pattern + ")$")
			if err != nil {
				return fmt.Errorf("field %s: pattern: %w", f.Key, err)
			}
			f.re = re
		}
	}
	templates := []string{}
	switch p.Kind {
	case integration.KindOAuth2:
		o := p.OAuth
		if o == nil {
			return errors.New("oauth2 provider without oauth section")
		}
		if !seen["client_id"] {
			return errors.New("oauth2 provider needs a client_id field (bring your own OAuth client)")
		}
		if o.AuthURL == "" || o.TokenURL == "" {
			return errors.New("oauth: authUrl and tokenUrl are required")
		}
		switch o.ClientSecret {
		case "none", "optional", "required":
		default:
			return fmt.Errorf("oauth: clientSecret must be none, optional or required")
		}
		if !o.PKCE && o.ClientSecret == "none" {
			return errors.New("oauth: a provider without PKCE needs a client secret")
		}
		if o.ClientSecret != "none" && !seen["client_secret"] {
			return errors.New("oauth: client_secret field missing")
		}
		switch o.ScopeSeparator {
		case "", " ", ",", "+":
		default:
			return fmt.Errorf("oauth: bad scope separator %q", o.ScopeSeparator)
		}
		switch o.AuthStyle {
		case "", "params", "header":
		default:
			return fmt.Errorf("oauth: authStyle must be params or header")
		}
		templates = append(templates, o.AuthURL, o.TokenURL, o.RevokeURL, o.DeviceURL, o.Issuer)
	case integration.KindAPIKey:
		if secrets != 1 {
			return errors.New("api_key provider needs exactly one secret field")
		}
	case integration.KindDatabase:
		if p.Engine != "postgres" && p.Engine != "mysql" && p.Engine != "sqlserver" {
			return fmt.Errorf("database engine %q unknown", p.Engine)
		}
		for _, k := range []string{"host", "port", "database", "user", "password"} {
			if !seen[k] {
				return fmt.Errorf("database provider needs field %s", k)
			}
		}
	}
	if p.Group == "saas" {
		if p.Probe == nil {
			return errors.New("saas provider needs a health probe")
		}
		switch p.Probe.Auth {
		case "bearer", "header", "query", "basic", "basic_key":
		default:
			return fmt.Errorf("probe: unknown auth %q", p.Probe.Auth)
		}
		if (p.Probe.Auth == "header" || p.Probe.Auth == "query") && p.Probe.AuthName == "" && !placeholderOnly(p.Probe.AuthName) {
			return errors.New("probe: header/query auth needs authName")
		}
		templates = append(templates, p.Probe.URL)
	}
	for _, t := range templates {
		if t == "" {
			continue
		}
		for _, m := range placeholderRE.FindAllStringSubmatch(t, -1) {
			if !seen[m[1]] {
				return fmt.Errorf("template %q uses undeclared field %q", t, m[1])
			}
		}
		// A template that is only a placeholder is a user-entered URL,
		// validated when rendered.
		if placeholderOnly(t) {
			continue
		}
		if err := checkURL(sample(t), allowLoopback); err != nil {
			return fmt.Errorf("endpoint %q: %w", t, err)
		}
	}
	return nil
}

func placeholderOnly(t string) bool {
	return strings.HasPrefix(t, "{") && strings.Index(t, "}") > 0 && placeholderRE.FindStringIndex(t)[0] == 0
}

// sample fills placeholders with a harmless value so the URL's fixed parts
// can be checked.
func sample(t string) string {
	return placeholderRE.ReplaceAllString(t, "x")
}

// checkURL requires an absolute https URL without credentials or fragment;
// http only on loopback when allowed.
func checkURL(raw string, allowLoopback bool) error {
	if raw == "" {
		return errors.New("empty URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Host == "" || !u.IsAbs() {
		return errors.New("not an absolute URL")
	}
	if u.User != nil {
		return errors.New("credentials in URL")
	}
	if u.Fragment != "" {
		return errors.New("fragment in URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowLoopback && IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return errors.New("not https")
	}
	return fmt.Errorf("scheme %q not allowed", u.Scheme)
}

// IsLoopbackHost reports 127.0.0.0/8, ::1 and localhost.
func IsLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
