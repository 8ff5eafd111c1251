package services

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strconv"
	"testing"
	"time"

	"relink/backend/integration"
)

func TestRedirectForTheAddDialog(t *testing.T) {
	s, _, _ := newService(t)
	for _, tc := range []struct {
		provider string
		settings map[string]string
		want     RedirectView
	}{
		{"google-analytics", nil, RedirectView{Kind: "loopback", Register: "http://127.0.0.1/callback", AnyPort: true}},
		{"microsoft", nil, RedirectView{Kind: "loopback", Register: "http://localhost/callback", AnyPort: true}},
		// The default fixed address, until the user changes it.
		{"hubspot", nil, RedirectView{Kind: "fixed", Register: "http://localhost:53682/callback"}},
		{"hubspot", map[string]string{"redirect_uri": " http://localhost:40123/callback "}, RedirectView{Kind: "fixed", Register: "http://localhost:40123/callback"}},
		{"salesforce", nil, RedirectView{Kind: "scheme", Register: "io.relink.app:/callback"}},
		{"shopify", nil, RedirectView{Unset: true}},
		{"shopify", map[string]string{"redirect_uri": "https://example.com/cb", "relay_port": "40124"},
			RedirectView{Kind: "https", Register: "https://example.com/cb", RelayTarget: "http://localhost:40124/callback"}},
	} {
		got, err := s.Redirect(tc.provider, tc.settings)
		if err != nil {
			t.Errorf("Redirect(%s, %v) error %v", tc.provider, tc.settings, err)
			continue
		}
		got.Accepts, got.Source = nil, ""
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Redirect(%s, %v) = %+v; want %+v", tc.provider, tc.settings, got, tc.want)
		}
	}
	if _, err := s.Redirect("stripe", nil); err == nil {
		t.Errorf("Redirect(stripe) = nil error; want unknown (not an OAuth provider)")
	}
}

// TestReauthorizeOnBusyFixedPort: a provider that matches the registered
// redirect exactly cannot move to another port; the user is told which
// port is taken, nothing is sent to the provider, and history keeps it.
func TestReauthorizeOnBusyFixedPort(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	as := newOAuthServer(t)
	other, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	port := strconv.Itoa(other.Addr().(*net.TCPAddr).Port)
	uri := "http://localhost:" + port + "/callback"
	v, err := s.Add(ctx, AddRequest{Provider: "custom-oauth2", Name: "Fixed", Settings: map[string]string{"issuer": as.URL, "client_id": "relink", "redirect_uri": uri}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Redirect == nil || v.Redirect.Register != uri || v.Redirect.AnyPort {
		t.Errorf("view redirect = %+v; want %s exactly", v.Redirect, uri)
	}
	s.opener = callbackTimer{at: make(chan time.Time, 4)}
	_, err = s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 5 * time.Second})
	var p *integration.Problem
	if !errors.As(err, &p) || p.Code != "error.oauth_port_busy" || p.Params["port"] != port {
		t.Fatalf("Reauthorize on busy port = %v; want error.oauth_port_busy naming %s", err, port)
	}
	if got := s.i18n.Problem("es", p); got == "" || got == p.Code {
		t.Errorf("Spanish message for the busy port: %q", got)
	}
	other.Close()
	got, err := s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 5 * time.Second})
	if err != nil || got.Status != integration.StatusConnected {
		t.Errorf("Reauthorize once the port is free = %s, %v; want connected", got.Status, err)
	}
}
