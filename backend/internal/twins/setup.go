package twins

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"relink/backend/catalog"
	"relink/backend/integration"
)

// Setup is one provider as a user set it up: the settings they enter in
// Relink, the OAuth client they registered or the key they were given, and
// the account behind it.
type Setup struct {
	Provider catalog.Provider
	// Settings are the non-secret fields, as `relink add --set` takes them.
	Settings map[string]string
	// Secret is what goes to Relink on stdin: the API key, or the OAuth
	// client secret ("" for a public client).
	Secret string
	// Extra are further secret fields (Google Ads' developer token), as
	// `relink add --secret-file` takes them.
	Extra   map[string]string
	Account string
	// RedirectURI, when set, is the one redirect URI registered in the
	// user's app: the twin refuses any other, as strict providers do.
	RedirectURI string
	// Relay, for a redirect URI on an https page the user hosts, is where
	// that page forwards the callback's query: Relink's loopback listener.
	Relay string
	// AccessLifetime is the expires_in of issued access tokens (default:
	// the catalogue's lifetime, else one hour).
	AccessLifetime time.Duration
}

// sampleValues are what a user types into provider fields that have no
// default. A new required field without one fails NewSetup, so a new
// provider is noticed rather than skipped.
var sampleValues = map[string]string{
	"subdomain":    "acme",
	"shop":         "acme",
	"tenant":       "contoso.onmicrosoft.com",
	"username":     "relink-service",
	"project_id":   "1234567",
	"email":        "ana@example.com",
	"issuer":       "https://idp.example.com",
	"userinfo_url": "https://idp.example.com/userinfo",
	"scopes":       "openid email offline_access",
	"test_url":     "https://api.example.com/v1/me",
	"account_path": "email",
	"ci_client_id": "194",
}

// NewSetup sets p up with sample settings, a fresh random secret and
// ana@example.com as the account.
func NewSetup(p catalog.Provider) (Setup, error) {
	s := Setup{Provider: p, Settings: map[string]string{}, Extra: map[string]string{}, Account: "ana@example.com"}
	for _, f := range p.Fields {
		switch {
		case f.Secret && f.Key != p.SecretField() && f.Required:
			s.Extra[f.Key] = randomToken("twin-" + f.Key)
		case f.Secret:
			continue
		case f.Key == "client_id":
			s.Settings[f.Key] = "twin-" + p.ID
		case sampleValues[f.Key] != "":
			s.Settings[f.Key] = sampleValues[f.Key]
		case f.Required && f.Default == "":
			return Setup{}, fmt.Errorf("twin setup for %s: no sample value for required field %q", p.ID, f.Key)
		}
	}
	if p.Kind == integration.KindAPIKey || (p.OAuth != nil && p.OAuth.ClientSecret != "none") {
		s.Secret = randomToken("twin-secret")
	}
	if err := s.registerRedirect(); err != nil {
		return Setup{}, fmt.Errorf("twin setup for %s: %w", p.ID, err)
	}
	if pr, err := p.ProbeRequest(s.Settings); err == nil && pr.AccountPath == "" {
		s.Account = "" // the answer names no account (Mixpanel's project secret)
	}
	return s, nil
}

// Setting keys of a provider whose app registers one exact redirect URI.
const (
	fieldRedirectURI = "redirect_uri"
	fieldRelayPort   = "relay_port"
)

// registerRedirect registers a redirect URI in the user's app, as its
// setup instructions ask, for a provider that takes one: the field's
// default (a private-use scheme, or a fixed localhost port, moved to a
// free port of its own so providers can run side by side), else an https
// relay page the twin hosts, forwarding to a free loopback port.
// Providers without the field accept any loopback redirect.
func (s *Setup) registerRedirect() error {
	f, ok := fieldOf(s.Provider, fieldRedirectURI)
	if !ok {
		return nil
	}
	u, err := url.Parse(f.Default)
	switch {
	case err != nil:
		return fmt.Errorf("redirect_uri default %q: %w", f.Default, err)
	case f.Default == "":
		if _, ok := fieldOf(s.Provider, fieldRelayPort); !ok {
			return errors.New("redirect_uri has no default and there is no relay_port for an https relay")
		}
		port, err := freePort()
		if err != nil {
			return err
		}
		s.Settings[fieldRedirectURI] = "https://relay.example.com/" + s.Provider.ID + "/callback"
		s.Settings[fieldRelayPort] = strconv.Itoa(port)
		s.Relay = "http://localhost:" + strconv.Itoa(port) + "/callback"
	case u.Scheme == "http":
		port, err := freePort()
		if err != nil {
			return err
		}
		u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
		s.Settings[fieldRedirectURI] = u.String()
	default:
		s.Settings[fieldRedirectURI] = f.Default
	}
	s.RedirectURI = s.Settings[fieldRedirectURI]
	return nil
}

func fieldOf(p catalog.Provider, key string) (catalog.Field, bool) {
	for _, f := range p.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return catalog.Field{}, false
}

// freePort asks the system for a loopback port nobody listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// AddArgs are the arguments of `relink add` for this setup (after the
// global flags); the secret goes on stdin, further secrets into files in
// dir.
func (s Setup) AddArgs(name, dir string) ([]string, error) {
	args := []string{"add", s.Provider.ID, "--name", name}
	for _, k := range sortedKeys(s.Extra) {
		f := filepath.Join(dir, s.Provider.ID+"-"+k)
		if err := os.WriteFile(f, []byte(s.Extra[k]), 0o600); err != nil {
			return nil, fmt.Errorf("secret file: %w", err)
		}
		args = append(args, "--secret-file", k+"="+f)
	}
	for _, k := range sortedKeys(s.Settings) {
		args = append(args, "--set", k+"="+s.Settings[k])
	}
	if s.Secret != "" {
		args = append(args, "--secret-stdin")
	}
	return args, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func randomToken(prefix string) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return prefix + "-" + hex.EncodeToString(b)
}
