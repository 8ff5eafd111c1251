package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/go-jose/go-jose/v3/jwt"
	"golang.org/x/oauth2"
)

// A grant with the openid scope carries an ID token that verifies against
// the key set named by jwks_uri, for this issuer and client.
func TestIDTokenVerifiesAgainstJWKS(t *testing.T) {
	sb := start(t, Options{})
	c := sb.config(PublicClient, "", redirect)
	c.Scopes = []string{"openid", "email", "offline"}
	v := oauth2.GenerateVerifier()
	q := sb.authorize(t, c, oauth2.S256ChallengeOption(v))
	tok, err := c.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatalf("no id_token with the openid scope")
	}
	var md struct {
		JwksURI string `json:"jwks_uri"`
	}
	getJSON(t, sb.URL+"/.well-known/openid-configuration", &md)
	var keys jose.JSONWebKeySet
	getJSON(t, md.JwksURI, &keys)
	parsed, err := jwt.ParseSigned(raw)
	if err != nil {
		t.Fatal(err)
	}
	ks := keys.Key(parsed.Headers[0].KeyID)
	if len(ks) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS; want 1", parsed.Headers[0].KeyID, len(ks))
	}
	var std jwt.Claims
	var extra struct {
		Email string `json:"email"`
	}
	if err := parsed.Claims(ks[0].Key, &std, &extra); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := std.Validate(jwt.Expected{Issuer: sb.URL, Audience: jwt.Audience{PublicClient}, Time: time.Now()}); err != nil {
		t.Errorf("claims: %v", err)
	}
	if std.Subject != DefaultUser || extra.Email != DefaultUser {
		t.Errorf("sub %q email %q; want %s for both", std.Subject, extra.Email, DefaultUser)
	}
}

func getJSON(t *testing.T, u string, out any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
}

// With scopedClaims, /whoami is a standard userinfo endpoint: no email
// without the email scope, the subject always.
func TestScopedClaims(t *testing.T) {
	sb := start(t, Options{})
	post(t, sb.URL+"/control/state", `{"scopedClaims":true}`)
	c := sb.config(PublicClient, "", redirect)
	c.Scopes = []string{"openid", "offline"}
	v := oauth2.GenerateVerifier()
	q := sb.authorize(t, c, oauth2.S256ChallengeOption(v))
	tok, err := c.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	w := sb.whoami(t, tok.AccessToken)
	if w.body["sub"] != DefaultUser || w.body["email"] != "" || w.body["name"] != "" {
		t.Errorf("whoami = %v; want only sub and scope", w.body)
	}
}

func post(t *testing.T, u, body string) {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d", u, resp.StatusCode)
	}
}
