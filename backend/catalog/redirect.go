package catalog

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"relink/backend/integration"
)

// Redirect kinds: the ways a provider lets a desktop app receive the
// authorization response. Which ones a provider accepts is a documented
// fact of that provider (Redirect.Source).
const (
	// RedirectLoopback is http on a loopback host with any port, chosen
	// when the listener binds (RFC 8252 §7.3).
	RedirectLoopback = "loopback"
	// RedirectFixed is an exact http://localhost:PORT/PATH (or 127.0.0.1)
	// registered in the user's app: the port must be the same every time.
	RedirectFixed = "fixed"
	// RedirectScheme is Relink's private-use URI scheme (RFC 8252 §7.1),
	// registered by its desktop entry.
	RedirectScheme = "scheme"
	// RedirectHTTPS is an https page the user hosts that forwards the
	// query to http://localhost:RELAY_PORT/callback, for providers that
	// accept only https.
	RedirectHTTPS = "https"
)

// Scheme is Relink's private-use URI scheme: reverse-domain style, as RFC
// 8252 §7.1 asks, matching the single-instance id io.relink.app.
const Scheme = "io.relink.app"

// SchemeRedirectURI is the only private-use-scheme redirect Relink
// receives (one path: the scheme handler forwards whatever comes).
const SchemeRedirectURI = Scheme + ":/callback"

// CallbackPath is the path Relink's loopback listener serves.
const CallbackPath = "/callback"

// DefaultRelayPort is the loopback port an https relay page forwards to
// unless the integration says otherwise.
const DefaultRelayPort = 53682

// Setting keys the redirect policy reads.
const (
	FieldRedirectURI = "redirect_uri"
	FieldRelayPort   = "relay_port"
)

// Redirect is a provider's redirect URI policy.
type Redirect struct {
	// Accepts lists the redirect kinds the provider documents, most
	// convenient first.
	Accepts []string `json:"accepts"`
	// LoopbackHost is the host the provider wants in a loopback redirect:
	// 127.0.0.1 or localhost.
	LoopbackHost string `json:"loopbackHost,omitempty"`
	// Source is the provider's documentation of its redirect rules.
	Source string `json:"source"`
}

func (r *Redirect) accepts(kind string) bool { return r != nil && slices.Contains(r.Accepts, kind) }

// needsField says whether the user picks the redirect URI (any kind but
// loopback needs one registered exactly).
func (r *Redirect) needsField() bool {
	return r.accepts(RedirectFixed) || r.accepts(RedirectScheme) || r.accepts(RedirectHTTPS)
}

func (p *Provider) validateRedirect() error {
	r := p.Redirect
	if p.Kind != integration.KindOAuth2 {
		if r != nil {
			return errors.New("redirect: only oauth2 providers have a redirect policy")
		}
		return nil
	}
	if r == nil {
		return errors.New("redirect: an oauth2 provider needs a redirect policy with its source")
	}
	if err := checkLink(r.Source); err != nil {
		return fmt.Errorf("redirect source: %w", err)
	}
	if len(r.Accepts) == 0 {
		return errors.New("redirect: accepts is empty")
	}
	seen := map[string]bool{}
	for _, k := range r.Accepts {
		switch k {
		case RedirectLoopback, RedirectFixed, RedirectScheme, RedirectHTTPS:
		default:
			return fmt.Errorf("redirect: unknown kind %q", k)
		}
		if seen[k] {
			return fmt.Errorf("redirect: %q listed twice", k)
		}
		seen[k] = true
	}
	switch r.LoopbackHost {
	case "127.0.0.1", "localhost":
		if !r.accepts(RedirectLoopback) {
			return errors.New("redirect: loopbackHost is for the loopback kind")
		}
	case "":
		if r.accepts(RedirectLoopback) {
			return errors.New("redirect: loopback needs loopbackHost 127.0.0.1 or localhost")
		}
	default:
		return fmt.Errorf("redirect: loopbackHost %q: 127.0.0.1 or localhost", r.LoopbackHost)
	}
	f, has := p.field(FieldRedirectURI)
	if has != r.needsField() {
		return errors.New("redirect: a redirect_uri field exists exactly when fixed, scheme or https is accepted")
	}
	if has {
		// Optional even without loopback: integrations added before the
		// policy existed must still load; authorizing without one says
		// what to register (RedirectFor).
		if f.Secret || f.Kind != "text" || f.Pattern != "" || f.Required {
			return errors.New("redirect: redirect_uri is an optional plain text field; the policy checks it")
		}
		if f.Default != "" {
			if reason := r.check(f.Default); reason != "" {
				return fmt.Errorf("redirect: default %q: %s", f.Default, reason)
			}
		}
	}
	rp, hasRelay := p.field(FieldRelayPort)
	if hasRelay != r.accepts(RedirectHTTPS) {
		return errors.New("redirect: a relay_port field exists exactly when https is accepted")
	}
	// No default: it would be stored on every integration, relay or not.
	if hasRelay && (rp.Kind != "number" || rp.Min < 1024 || rp.Max != 65535 || rp.Default != "" || rp.Required) {
		return errors.New("redirect: relay_port is an optional number 1024-65535 without default")
	}
	return nil
}

// kindOf says which accepted kind a redirect URI is, or a reason token
// when the provider does not accept it.
func (r *Redirect) kindOf(v string) (string, string) {
	if v == SchemeRedirectURI {
		if r.accepts(RedirectScheme) {
			return RedirectScheme, ""
		}
		return "", "redirect_scheme_not_accepted"
	}
	u, err := url.Parse(v)
	if err != nil || !u.IsAbs() {
		return "", "not_absolute"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "scheme"
	}
	if u.Opaque != "" || u.Host == "" {
		return "", "not_absolute"
	}
	if u.User != nil || u.Fragment != "" || strings.Contains(v, "#") {
		return "", "redirect_form"
	}
	if u.Scheme == "https" {
		if IsLoopbackHost(u.Hostname()) {
			// Relink's listener speaks http; nothing would answer.
			return "", "redirect_https_loopback"
		}
		if !r.accepts(RedirectHTTPS) {
			return "", "redirect_https_not_accepted"
		}
		return RedirectHTTPS, ""
	}
	if h := u.Hostname(); h != "localhost" && h != "127.0.0.1" {
		return "", "not_https"
	}
	if !r.accepts(RedirectFixed) {
		return "", "redirect_fixed_not_accepted"
	}
	if n, err := strconv.Atoi(u.Port()); err != nil || n < 1024 || n > 65535 || strconv.Itoa(n) != u.Port() {
		return "", "redirect_port"
	}
	if u.RawQuery != "" || u.EscapedPath() != CallbackPath {
		return "", "redirect_path"
	}
	return RedirectFixed, ""
}

func (r *Redirect) check(v string) string {
	_, reason := r.kindOf(v)
	return reason
}

// checkRedirectSettings adds errors for a redirect_uri or relay_port the
// provider's policy does not accept.
func (p Provider) checkRedirectSettings(out map[string]string, errs *FieldErrors) {
	if p.Redirect == nil {
		return
	}
	if v, ok := out[FieldRedirectURI]; ok {
		if reason := p.Redirect.check(v); reason != "" {
			errs.add(FieldRedirectURI, "error.field_invalid", "reason", reason)
			delete(out, FieldRedirectURI)
		}
	}
}

// RedirectPlan is how one authorization receives its callback.
type RedirectPlan struct {
	Kind string `json:"kind"`
	// URI is the redirect_uri sent; for loopback the port is added when
	// the listener binds, so URI has none.
	URI string `json:"uri"`
	// ListenHost and ListenPort are where the loopback listener binds
	// (port 0: any free port). Every kind listens on loopback: a scheme
	// callback and an https relay are forwarded there.
	ListenHost string `json:"listenHost"`
	ListenPort int    `json:"listenPort"`
	// Register is what the user registers in the provider's app; AnyPort
	// says the provider accepts any port on it.
	Register string `json:"register"`
	AnyPort  bool   `json:"anyPort,omitempty"`
	Source   string `json:"source"`
}

// RedirectFor returns the redirect an integration with these (validated)
// settings uses: the same URI on every attempt except for loopback kinds,
// whose provider accepts any port.
func (p Provider) RedirectFor(settings map[string]string) (RedirectPlan, error) {
	r := p.Redirect
	if r == nil {
		return RedirectPlan{}, fmt.Errorf("%s: %w", p.ID, ErrNotOAuth)
	}
	v := settings[FieldRedirectURI]
	if f, ok := p.field(FieldRedirectURI); ok && v == "" {
		// Integrations saved before the policy existed have no setting.
		v = f.Default
	}
	if v == "" {
		if !r.accepts(RedirectLoopback) {
			return RedirectPlan{}, integration.NewError(integration.ErrInvalid, nil, "error.redirect_required", "provider", p.Name)
		}
		base := "http://" + r.LoopbackHost
		return RedirectPlan{Kind: RedirectLoopback, URI: base + CallbackPath, ListenHost: r.LoopbackHost,
			Register: base + CallbackPath, AnyPort: true, Source: r.Source}, nil
	}
	kind, reason := r.kindOf(v)
	if reason != "" {
		return RedirectPlan{}, integration.NewError(integration.ErrInvalid, nil, "error.field_invalid", "field", FieldRedirectURI, "reason", reason)
	}
	plan := RedirectPlan{Kind: kind, URI: v, Register: v, Source: r.Source}
	switch kind {
	case RedirectFixed:
		u, _ := url.Parse(v)
		plan.ListenHost = u.Hostname()
		plan.ListenPort, _ = strconv.Atoi(u.Port())
	case RedirectScheme:
		plan.ListenHost = "127.0.0.1"
	case RedirectHTTPS:
		plan.ListenHost = "localhost"
		plan.ListenPort = DefaultRelayPort
		if n, err := strconv.Atoi(settings[FieldRelayPort]); err == nil {
			plan.ListenPort = n
		}
	}
	return plan, nil
}

// RelayTarget is where an https relay page must forward the callback's
// query for a plan of kind https.
func (r RedirectPlan) RelayTarget() string {
	if r.Kind != RedirectHTTPS {
		return ""
	}
	return "http://localhost:" + strconv.Itoa(r.ListenPort) + CallbackPath
}
