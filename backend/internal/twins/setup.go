package twins

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
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
	Secret  string
	Account string
	// RedirectURI, when set, is the one redirect URI registered in the
	// user's app: the twin refuses any other, as strict providers do.
	RedirectURI string
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
}

// NewSetup sets p up with sample settings, a fresh random secret and
// ana@example.com as the account.
func NewSetup(p catalog.Provider) (Setup, error) {
	s := Setup{Provider: p, Settings: map[string]string{}, Account: "ana@example.com"}
	for _, f := range p.Fields {
		switch {
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
	return s, nil
}

// AddArgs are the arguments of `relink add` for this setup (after the
// global flags); the secret goes on stdin.
func (s Setup) AddArgs(name string) []string {
	args := []string{"add", s.Provider.ID, "--name", name}
	keys := make([]string, 0, len(s.Settings))
	for k := range s.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--set", k+"="+s.Settings[k])
	}
	if s.Secret != "" {
		args = append(args, "--secret-stdin")
	}
	return args
}

func randomToken(prefix string) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return prefix + "-" + hex.EncodeToString(b)
}
