package catalog

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"relink/backend/integration"
	"relink/backend/secrets"
)

var (
	idRE         = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,40}$`)
	fieldKeyRE   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)
	headerNameRE = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]{1,64}$`)
	jsonPathRE   = regexp.MustCompile(`^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$`)
	scopeRE      = regexp.MustCompile(`^[\x21-\x7e]{1,200}$`)
)

// oauthReserved are authorization parameters the OAuth flow sets itself;
// an entry's extraParams must not override them.
var oauthReserved = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "nonce"}

// patternCache keeps one pattern per field expression: many fields share
// one, which then compiles once (a counted repetition like {1,256} is
// costly to compile).
type patternCache map[string]*pattern

func (c patternCache) compile(expr string) (*pattern, error) {
	if re, ok := c[expr]; ok {
		return re, nil
	}
	re, err := newPattern("^(?:" + expr + ")$")
	if err == nil {
		c[expr] = re
	}
	return re, err
}

func (p *Provider) validate(patterns patternCache) error {
	if !idRE.MatchString(p.ID) {
		return errors.New("id must be 2-41 lowercase letters, digits and dashes")
	}
	if strings.TrimSpace(p.Name) == "" || !idRE.MatchString(p.Icon) {
		return errors.New("name and icon (a short id) are required")
	}
	if !p.Kind.Valid() {
		return fmt.Errorf("unknown kind %q", p.Kind)
	}
	if _, ok := groupRank[p.Group]; !ok {
		return fmt.Errorf("group must be saas, database or store, got %q", p.Group)
	}
	if (p.Group != GroupSaaS) != (p.Kind == integration.KindDatabase) {
		return errors.New("databases, and only they, go in the database group or the store group")
	}
	if p.Group == GroupStore && p.Base == "" {
		return errors.New("a store platform is a preset of a database provider (base)")
	}
	if err := checkLink(p.Docs); err != nil {
		return fmt.Errorf("docs: %w", err)
	}
	if err := checkLink(p.Support); err != nil {
		return fmt.Errorf("support: %w", err)
	}
	if p.IntegrationsPage != "" {
		if err := checkLink(p.IntegrationsPage); err != nil {
			return fmt.Errorf("integrations page: %w", err)
		}
	}
	for _, u := range p.Sources {
		if err := checkLink(u); err != nil {
			return fmt.Errorf("sources: %w", err)
		}
	}
	for cause, u := range p.Help {
		if cause == "" || !integration.Cause(cause).Valid() {
			return fmt.Errorf("help: unknown cause %q", cause)
		}
		if err := checkLink(u); err != nil {
			return fmt.Errorf("help %s: %w", cause, err)
		}
	}
	if err := p.validateFields(patterns); err != nil {
		return err
	}
	for _, r := range p.Lifetimes.When {
		f, ok := p.field(r.Field)
		if !ok || f.Secret || f.check(r.Value, false) != "" || r.RefreshToken <= 0 {
			return fmt.Errorf("lifetimes: rule on %q=%q needs a declared field, a valid value and a lifetime", r.Field, r.Value)
		}
	}
	if err := p.validateRedirect(); err != nil {
		return err
	}
	switch p.Kind {
	case integration.KindOAuth2:
		if err := p.validateOAuth(); err != nil {
			return fmt.Errorf("oauth: %w", err)
		}
	case integration.KindAPIKey:
		if p.OAuth != nil {
			return errors.New("only oauth2 providers have an oauth section")
		}
		// A secret field's key is the keychain slot its value is kept in.
		if s := p.SecretFields(); len(s) != 1 || s[0] != secrets.SlotAPIKey {
			return errors.New("an api_key provider has exactly one secret field, api_key")
		}
	case integration.KindDatabase:
		if err := p.validateDatabase(); err != nil {
			return err
		}
	}
	if p.Group == GroupSaaS {
		if p.Probe == nil {
			return errors.New("a saas provider needs a health probe")
		}
		if err := p.validateProbe(); err != nil {
			return fmt.Errorf("probe: %w", err)
		}
	}
	if err := p.validateKeep(patterns); err != nil {
		return err
	}
	return p.validateDataProbe()
}

func (p *Provider) validateFields(patterns patternCache) error {
	seen := map[string]bool{}
	for i := range p.Fields {
		f := &p.Fields[i]
		if !fieldKeyRE.MatchString(f.Key) || seen[f.Key] {
			return fmt.Errorf("field %q: bad or duplicate key", f.Key)
		}
		seen[f.Key] = true
		switch f.Kind {
		case "text", "url", "number", "password", "textarea":
			if len(f.Options) > 0 {
				return fmt.Errorf("field %s: only a select has options", f.Key)
			}
		case "select":
			if len(f.Options) == 0 {
				return fmt.Errorf("field %s: a select needs options", f.Key)
			}
		default:
			return fmt.Errorf("field %s: unknown kind %q", f.Key, f.Kind)
		}
		if (f.Min != 0 || f.Max != 0) && (f.Kind != "number" || f.Max < f.Min) {
			return fmt.Errorf("field %s: min/max only on a number, with min <= max", f.Key)
		}
		if f.Secret {
			if f.Kind != "password" && f.Kind != "textarea" {
				return fmt.Errorf("field %s: a secret is a password or textarea field", f.Key)
			}
			if f.Default != "" || f.Placeholder != "" {
				return fmt.Errorf("field %s: a secret has no default or placeholder", f.Key)
			}
		} else if f.Kind == "password" {
			return fmt.Errorf("field %s: a password field must be secret", f.Key)
		}
		if f.Pattern != "" {
			re, err := patterns.compile(f.Pattern)
			if err != nil {
				return fmt.Errorf("field %s: pattern: %w", f.Key, err)
			}
			f.re = re
		}
		if f.Default != "" {
			if reason := f.check(f.Default, false); reason != "" {
				return fmt.Errorf("field %s: default %q: %s", f.Key, f.Default, reason)
			}
		}
	}
	for _, f := range p.Fields {
		for _, ref := range []string{f.RequiredWith, f.ConflictsWith} {
			if ref != "" && (ref == f.Key || !seen[ref]) {
				return fmt.Errorf("field %s: refers to undeclared field %q", f.Key, ref)
			}
		}
	}
	return nil
}

func (p *Provider) validateOAuth() error {
	o := p.OAuth
	if o == nil {
		return errors.New("section missing")
	}
	if f, ok := p.field("client_id"); !ok || f.Secret || !f.Required {
		return errors.New("a required client_id field is needed (the user brings their own OAuth client)")
	}
	secret, hasSecret := p.field(secrets.SlotClientSecret)
	switch o.ClientSecret {
	case "none":
		if hasSecret {
			return errors.New("clientSecret none but a client_secret field")
		}
	case "optional", "required":
		if !hasSecret || !secret.Secret || secret.Required != (o.ClientSecret == "required") {
			return errors.New("client_secret must be a secret field, required exactly when clientSecret is required")
		}
	default:
		return errors.New("clientSecret must be none, optional or required")
	}
	if !o.PKCE && o.ClientSecret == "none" {
		return errors.New("a provider without PKCE needs a client secret")
	}
	if o.AuthURL == "" || o.TokenURL == "" {
		return errors.New("authUrl and tokenUrl are required")
	}
	if o.Discovery != (o.Issuer != "" && p.Custom) {
		return errors.New("discovery is for custom providers with an issuer field")
	}
	switch o.ScopeSeparator {
	case "", " ", ",":
	default:
		return fmt.Errorf("bad scope separator %q", o.ScopeSeparator)
	}
	switch o.AuthStyle {
	case "", "params", "header":
	default:
		return errors.New("authStyle must be params or header")
	}
	if len(o.DefaultScopes) == 0 && !p.Custom {
		return errors.New("default scopes are required")
	}
	for _, s := range append(slices.Clone(o.DefaultScopes), o.RequiredScopes...) {
		if !scopeRE.MatchString(s) || strings.Contains(s, ",") {
			return fmt.Errorf("bad scope %q", s)
		}
	}
	for _, s := range o.RequiredScopes {
		if !slices.Contains(o.DefaultScopes, s) {
			return fmt.Errorf("required scope %q is not requested by default", s)
		}
	}
	for k, v := range o.ExtraParams {
		if slices.Contains(oauthReserved, k) || !fieldKeyRE.MatchString(k) || strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("extra parameter %q not allowed", k)
		}
	}
	for _, t := range []string{o.AuthURL, o.TokenURL, o.RevokeURL, o.DeviceURL, o.Issuer} {
		if err := p.validateURLTemplate(t); err != nil {
			return err
		}
	}
	return nil
}

func (p *Provider) validateDatabase() error {
	if p.OAuth != nil {
		return errors.New("only oauth2 providers have an oauth section")
	}
	switch p.Engine {
	case "postgres", "mysql", "sqlserver", "mongodb":
	default:
		return fmt.Errorf("database engine %q unknown", p.Engine)
	}
	for _, k := range []string{"host", "port", "database", "user", "tls_mode", secrets.SlotPassword} {
		if _, ok := p.field(k); !ok {
			return fmt.Errorf("database provider needs field %s", k)
		}
	}
	for _, k := range p.SecretFields() {
		if k != secrets.SlotPassword && k != secrets.SlotSSHKey {
			return fmt.Errorf("database secret %s: only password and ssh_key", k)
		}
	}
	if p.SecretField() != secrets.SlotPassword {
		return errors.New("a database's first secret is its password")
	}
	if p.Probe != nil {
		return errors.New("databases are probed by engine, not by an HTTP probe")
	}
	return nil
}

func (p *Provider) validateProbe() error {
	pr := p.Probe
	if pr.Method != "GET" && pr.Method != "POST" {
		return fmt.Errorf("method %q: GET or POST", pr.Method)
	}
	if pr.URL == "" {
		return errors.New("url is required")
	}
	if err := p.validateURLTemplate(pr.URL); err != nil {
		return err
	}
	switch pr.Auth {
	case "bearer", "basic_key":
		if pr.AuthName != "" || pr.AuthPrefix != "" || pr.BasicUser != "" {
			return fmt.Errorf("%s auth takes no name, prefix or user", pr.Auth)
		}
	case "header":
		if pr.AuthName == "" {
			return errors.New("header auth needs authName")
		}
	case "query":
		if pr.AuthName == "" || pr.AuthPrefix != "" {
			return errors.New("query auth needs authName and takes no prefix")
		}
	case "basic":
		if pr.BasicUser == "" {
			return errors.New("basic auth needs basicUser")
		}
	default:
		return fmt.Errorf("unknown auth %q", pr.Auth)
	}
	if pr.AuthQuery != "" && pr.Auth != "header" {
		return errors.New("authQuery is for header auth")
	}
	if pr.Auth != "basic" && pr.BasicUser != "" {
		return errors.New("basicUser is for basic auth")
	}
	for _, t := range []string{pr.AuthName, pr.AuthPrefix, pr.AuthQuery, pr.BasicUser, pr.AccountPath} {
		if err := p.validateTextTemplate(t); err != nil {
			return err
		}
	}
	if n := pr.AuthName; n != "" && !placeholderRE.MatchString(n) && !headerNameRE.MatchString(n) {
		return fmt.Errorf("bad auth name %q", n)
	}
	for k, v := range pr.Headers {
		if !headerNameRE.MatchString(k) || strings.EqualFold(k, "Authorization") || strings.ContainsAny(v, "\r\n\x00{}") {
			return fmt.Errorf("header %q not allowed (the credential goes through auth)", k)
		}
	}
	for _, path := range []string{pr.AccountPath, pr.ScopesPath} {
		if path != "" && !jsonPathRE.MatchString(path) && !isPlaceholder(path) {
			return fmt.Errorf("bad JSON path %q", path)
		}
	}
	if pr.ScopesHeader != "" && !headerNameRE.MatchString(pr.ScopesHeader) {
		return fmt.Errorf("bad scopes header %q", pr.ScopesHeader)
	}
	switch pr.ScopeSeparator {
	case "", " ", ",":
	default:
		return fmt.Errorf("bad scope separator %q", pr.ScopeSeparator)
	}
	if pr.Interpret != "" && pr.Interpret != InterpretUpdateCycle {
		return fmt.Errorf("unknown interpret %q", pr.Interpret)
	}
	return nil
}

func isPlaceholder(t string) bool {
	m := placeholderRE.FindStringIndex(t)
	return m != nil && m[0] == 0 && m[1] == len(t)
}

// validateURLTemplate checks a URL template at load: placeholders name
// declared non-secret fields that suit their position, and the fixed part
// is an https URL that is not loopback.
func (p *Provider) validateURLTemplate(t string) error {
	if t == "" {
		return nil
	}
	parts, err := parseURLTemplate(t)
	if err != nil {
		return err
	}
	for _, pt := range parts {
		if pt.key == "" {
			continue
		}
		f, ok := p.field(pt.key)
		if !ok || f.Secret {
			return fmt.Errorf("template %q uses undeclared or secret field %q", t, pt.key)
		}
		if (pt.pos == posBase) != (f.Kind == "url") {
			return fmt.Errorf("template %q: a url field (and only one) may start a template, nowhere else", t)
		}
		if pt.pos == posBase && !p.Custom && f.re == nil {
			return fmt.Errorf("template %q: a url field of a built-in provider needs a pattern fixing its host", t)
		}
		if pt.pos != posBase && f.re == nil && f.Kind != "select" && f.Kind != "number" {
			return fmt.Errorf("template %q: field %q needs a pattern", t, pt.key)
		}
	}
	if parts[0].pos == posBase {
		return nil // the user's URL is checked when rendered
	}
	if err := checkEmbeddedURL(placeholderRE.ReplaceAllString(t, "x")); err != nil {
		return fmt.Errorf("endpoint %q: %w", t, err)
	}
	return nil
}

func (p *Provider) validateTextTemplate(t string) error {
	parts, err := parseTextTemplate(t)
	if err != nil {
		return err
	}
	for _, pt := range parts {
		if pt.key == "" {
			continue
		}
		if f, ok := p.field(pt.key); !ok || f.Secret {
			return fmt.Errorf("template %q uses undeclared or secret field %q", t, pt.key)
		}
	}
	return nil
}

// checkEmbeddedURL is checkURL for the catalog's own URLs: https only and
// never a loopback host.
func checkEmbeddedURL(raw string) error {
	if err := checkURL(raw, false); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	if IsLoopbackHost(u.Hostname()) {
		return errors.New("loopback")
	}
	return nil
}

// checkLink checks a page the user is sent to (docs, help): like an
// endpoint, except that a fragment may point into the page.
func checkLink(raw string) error {
	page, _, _ := strings.Cut(raw, "#")
	return checkEmbeddedURL(page)
}

// checkURL requires an absolute https URL without credentials or fragment;
// http only on a loopback host, and only when allowed. Its errors are
// stable reason tokens.
func checkURL(raw string, allowLoopback bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !u.IsAbs() || u.Opaque != "" {
		return errors.New("not_absolute")
	}
	if u.User != nil {
		return errors.New("userinfo")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("fragment")
	}
	if u.Hostname() == "" {
		return errors.New("not_absolute")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowLoopback && IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return errors.New("not_https")
	}
	return errors.New("scheme")
}

// IsLoopbackHost reports 127.0.0.0/8, ::1 and localhost.
func IsLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
