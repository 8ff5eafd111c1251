package health

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"relink/backend/integration"
	"relink/backend/internal/testrig"
)

func bastionConfig(b *testrig.Bastion) SSHConfig {
	return SSHConfig{Host: b.Host, Port: b.Port, User: "relink", PrivateKey: b.ClientKey}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSSHHostKeyPinnedOnFirstUse(t *testing.T) {
	b := testrig.NewBastion(t)
	cfg := bastionConfig(b)
	ctx := testCtx(t)

	tun, err := DialSSH(ctx, cfg)
	if err != nil {
		t.Fatalf("first use: %v", err)
	}
	want := b.Fingerprint()
	if tun.SeenKey != want {
		t.Errorf("seen key got %s; want %s", tun.SeenKey, want)
	}
	tun.Close()

	cfg.KnownKey = want
	if tun, err = DialSSH(ctx, cfg); err != nil {
		t.Fatalf("pinned key: %v", err)
	}
	tun.Close()

	rotated := b.Rotate(t)
	_, err = DialSSH(ctx, cfg)
	var p *integration.Problem
	if !errors.Is(err, ErrHostKeyChanged) || !errors.As(err, &p) || p.Params["old"] != want || p.Params["new"] != rotated {
		t.Fatalf("changed key: got %v; want ErrHostKeyChanged with old %s and new %s", err, want, rotated)
	}
	if v := Classify(Observation{Err: err}); v.Problem == nil || v.Problem.Code != "problem.ssh_host_key_changed" || v.Status != integration.StatusNeedsReauth {
		t.Errorf("classified as %+v; want needs_reauth with problem.ssh_host_key_changed", v)
	}
}

// notSSH accepts TCP connections and closes them at once, like a wrong
// port: reachable, but no host key to enrol.
func notSSH(t *testing.T) (string, int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	return "127.0.0.1", ln.Addr().(*net.TCPAddr).Port
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func otherClientKey(t *testing.T) string {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

func TestSSHFailuresAreDistinctProblems(t *testing.T) {
	b := testrig.NewBastion(t)
	nsHost, nsPort := notSSH(t)
	cases := []struct {
		name       string
		cfg        func() SSHConfig
		sentinel   error
		wantCode   string
		wantStatus integration.Status
	}{
		{"host key changed", func() SSHConfig {
			c := bastionConfig(b)
			c.KnownKey = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			return c
		}, ErrHostKeyChanged, "problem.ssh_host_key_changed", integration.StatusNeedsReauth},
		{"host key could not be enrolled", func() SSHConfig {
			return SSHConfig{Host: nsHost, Port: nsPort, User: "relink", PrivateKey: b.ClientKey}
		}, ErrHostKeyNotEnrolled, "problem.ssh_host_key_not_enrolled", integration.StatusError},
		{"host unreachable", func() SSHConfig {
			return SSHConfig{Host: "127.0.0.1", Port: closedPort(t), User: "relink", PrivateKey: b.ClientKey}
		}, ErrSSHUnreachable, "problem.ssh_unreachable", integration.StatusError},
		{"user key refused", func() SSHConfig {
			c := bastionConfig(b)
			c.PrivateKey = otherClientKey(t)
			return c
		}, ErrSSHAuth, "problem.ssh_auth_failed", integration.StatusNeedsReauth},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg()
			_, err := DialSSH(testCtx(t), cfg)
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("DialSSH = %v; want %v", err, tc.sentinel)
			}
			v := Classify(Observation{Err: err})
			if v.Problem == nil || v.Problem.Code != tc.wantCode || v.Status != tc.wantStatus {
				t.Errorf("Classify = %+v; want %s with %s", v, tc.wantStatus, tc.wantCode)
			}
			if v.Cause == integration.CauseAppProblem {
				t.Errorf("a bastion's failure was blamed on Relink: %+v", v)
			}
			if tc.sentinel == ErrSSHUnreachable && !NetworkFailure(v) {
				t.Errorf("an unreachable bastion is not a network failure: %+v", v)
			}
		})
	}
}

func TestScanHostKeyShowsTheKeyPresentedNow(t *testing.T) {
	b := testrig.NewBastion(t)
	cfg := bastionConfig(b)
	got, err := ScanHostKey(testCtx(t), cfg)
	if err != nil || got != b.Fingerprint() {
		t.Fatalf("ScanHostKey = %q, %v; want %s", got, err, b.Fingerprint())
	}
	rotated := b.Rotate(t)
	if got, err = ScanHostKey(testCtx(t), cfg); err != nil || got != rotated {
		t.Fatalf("after rotation ScanHostKey = %q, %v; want %s", got, err, rotated)
	}
	if !ValidFingerprint(got) {
		t.Errorf("ValidFingerprint(%q) = false", got)
	}
	cfg.Port = closedPort(t)
	if _, err := ScanHostKey(testCtx(t), cfg); !errors.Is(err, ErrSSHUnreachable) {
		t.Errorf("scan of a closed port = %v; want ErrSSHUnreachable", err)
	}
}

func TestValidFingerprint(t *testing.T) {
	for in, want := range map[string]bool{
		"SHA256:" + "nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8": true,
		"SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY":       false,
		"MD5:aa:bb": false,
		"SHA256:" + "nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5S!8": false,
		"": false,
	} {
		if got := ValidFingerprint(in); got != want {
			t.Errorf("ValidFingerprint(%q) = %v; want %v", in, got, want)
		}
	}
}

func TestPostgresThroughSSHTunnel(t *testing.T) {
	r := dbEnv(t, "PG", "postgres")
	b := testrig.NewBastion(t)
	cfg := bastionConfig(b)
	r.SSH = &cfg
	o := ProbeDB(context.Background(), r)
	if v := Classify(o); v.Status != integration.StatusConnected || o.SSHHostKey != b.Fingerprint() {
		t.Fatalf("got %v (%v, %s); want connected through the tunnel with the key seen", v, o.Err, o.DBCode)
	}
}
