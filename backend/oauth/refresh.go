package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"relink/backend/integration"
)

// TokenError is an error answer from the token endpoint: the RFC 6749
// §5.2 code and description when it has them, and the whole answer for the
// provider's own dialect.
type TokenError struct {
	Code        string
	Description string
	Status      int
	Header      http.Header
	Body        []byte
}

// HTTPError is a provider's unsuccessful answer at discovery or
// revocation, kept whole for the provider's dialect.
type HTTPError struct {
	Op     string // "discovery" or "revoke"
	URL    string
	Status int
	Header http.Header
	Body   []byte
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s: %s answered %d", e.Op, e.URL, e.Status)
}

func (e *TokenError) Error() string {
	return fmt.Sprintf("token endpoint: %s (HTTP %d)", e.Code, e.Status)
}

// ErrNetwork marks failures to reach the provider at all.
var ErrNetwork = errors.New("provider unreachable")

// ErrServer marks 5xx and unparseable answers from the provider.
var ErrServer = errors.New("provider error")

func tokenError(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{Code: sanitizeCode(re.ErrorCode), Description: re.ErrorDescription, Body: re.Body}
		if re.Response != nil {
			te.Status, te.Header = re.Response.StatusCode, re.Response.Header
		}
		if re.ErrorCode == "" {
			// Not an RFC 6749 error body: a server problem.
			return integration.NewError(ErrServer, te, "error.oauth_server", "status", fmt.Sprint(te.Status))
		}
		return te
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return integration.NewError(ErrNetwork, err, "error.network")
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Refresh redeems a refresh token. When the server does not rotate it, the
// old refresh token is kept in the result.
func Refresh(ctx context.Context, client *http.Client, cfg Config, refreshToken string) (*Token, error) {
	if client == nil {
		client = NewHTTPClient(0)
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	src := cfg.oauth2("").TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	if err != nil {
		return nil, tokenError("refresh", err)
	}
	t := fromOAuth2(tok, time.Now())
	if t.RefreshToken == "" {
		t.RefreshToken = refreshToken
	}
	return t, nil
}

// fromOAuth2 converts x/oauth2's token, reading the extra fields it does
// not model. Expiry comes from expires_in relative to the local receive
// time, which keeps it right even when the local clock is off.
func fromOAuth2(tok *oauth2.Token, now time.Time) *Token {
	t := &Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenType: tok.TokenType, Expiry: tok.Expiry}
	if s, ok := tok.Extra("scope").(string); ok && s != "" {
		t.Scopes = strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	}
	if s, ok := tok.Extra("id_token").(string); ok {
		t.IDToken = s
	}
	for _, k := range []string{"refresh_token_expires_in", "refresh_expires_in", "x_refresh_token_expires_in"} {
		if secs := number(tok.Extra(k)); secs > 0 {
			t.RefreshExpiry = now.Add(time.Duration(secs) * time.Second)
			break
		}
	}
	return t
}

func number(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	case string:
		var i int64
		fmt.Sscan(n, &i)
		return i
	}
	return 0
}

// Revoke revokes a token (RFC 7009). hint is "refresh_token" or
// "access_token".
func Revoke(ctx context.Context, client *http.Client, cfg Config, token, hint string) error {
	if cfg.RevokeURL == "" {
		return errors.New("provider has no revocation endpoint")
	}
	if client == nil {
		client = NewHTTPClient(0)
	}
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	if cfg.ClientSecret == "" || !cfg.HeaderAuth {
		form.Set("client_id", cfg.ClientID)
		if cfg.ClientSecret != "" {
			form.Set("client_secret", cfg.ClientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.RevokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cfg.ClientSecret != "" && cfg.HeaderAuth {
		req.SetBasicAuth(url.QueryEscape(cfg.ClientID), url.QueryEscape(cfg.ClientSecret))
	}
	resp, err := client.Do(req)
	if err != nil {
		return integration.NewError(ErrNetwork, err, "error.network")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		he := &HTTPError{Op: "revoke", URL: cfg.RevokeURL, Status: resp.StatusCode, Header: resp.Header, Body: body}
		return integration.NewError(ErrServer, he, "error.oauth_revoke_failed", "status", fmt.Sprint(resp.StatusCode))
	}
	return nil
}

// DeviceCode is what the user types at the verification page.
type DeviceCode struct {
	VerificationURI string
	UserCode        string
}

// DeviceAuthorize runs the device authorization grant (RFC 8628).
func DeviceAuthorize(ctx context.Context, client *http.Client, cfg Config, onCode func(DeviceCode)) (*Token, error) {
	if cfg.DeviceURL == "" {
		return nil, integration.NewProblem("error.oauth_no_device")
	}
	if client == nil {
		client = NewHTTPClient(0)
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	oc := cfg.oauth2("")
	resp, err := oc.DeviceAuth(ctx)
	if err != nil {
		return nil, tokenError("device authorization", err)
	}
	uri := resp.VerificationURIComplete
	if uri == "" {
		uri = resp.VerificationURI
	}
	onCode(DeviceCode{VerificationURI: uri, UserCode: resp.UserCode})
	tok, err := oc.DeviceAccessToken(ctx, resp)
	if err != nil {
		return nil, tokenError("device token", err)
	}
	return fromOAuth2(tok, time.Now()), nil
}
