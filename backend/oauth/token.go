// Package oauth authorizes Relink with OAuth 2.0 providers the way a
// native app should: RFC 8252 loopback redirect in the system browser,
// PKCE S256 (RFC 7636), state, RFC 9207 iss checking, RFC 8414 discovery,
// RFC 8628 device grant and RFC 7009 revocation, on top of
// golang.org/x/oauth2.
package oauth

import (
	"encoding/json"
	"fmt"
	"time"
)

// Token is what an authorization or refresh yields. It redacts its
// secrets whenever printed or marshalled, so a stray log line or event can
// never carry them.
type Token struct {
	AccessToken   string
	RefreshToken  string
	TokenType     string
	Expiry        time.Time
	RefreshExpiry time.Time
	Scopes        []string
	IDToken       string
	// Params are the non-secret values Config.Keep asked for.
	Params map[string]string
}

const redacted = "[redacted]"

func mask(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

type tokenView struct {
	AccessToken   string            `json:"accessToken,omitempty"`
	RefreshToken  string            `json:"refreshToken,omitempty"`
	TokenType     string            `json:"tokenType,omitempty"`
	Expiry        time.Time         `json:"expiry,omitempty"`
	RefreshExpiry time.Time         `json:"refreshExpiry,omitempty"`
	Scopes        []string          `json:"scopes,omitempty"`
	IDToken       string            `json:"idToken,omitempty"`
	Params        map[string]string `json:"params,omitempty"`
}

func (t Token) view() tokenView {
	return tokenView{mask(t.AccessToken), mask(t.RefreshToken), t.TokenType, t.Expiry, t.RefreshExpiry, t.Scopes, mask(t.IDToken), t.Params}
}

// String redacts secrets.
func (t Token) String() string { return fmt.Sprintf("%+v", t.view()) }

// GoString redacts secrets (%#v).
func (t Token) GoString() string { return "oauth.Token" + t.String() }

// Format redacts secrets for every fmt verb.
func (t Token) Format(f fmt.State, _ rune) { fmt.Fprint(f, t.String()) }

// MarshalJSON redacts secrets.
func (t Token) MarshalJSON() ([]byte, error) { return json.Marshal(t.view()) }
