package dbprobe

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"reflect"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/internal/testrig"
)

func bastionConfig(b *testrig.Bastion) health.SSHConfig {
	return health.SSHConfig{Host: b.Host, Port: b.Port, User: "relink", PrivateKey: b.ClientKey}
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
	if !errors.Is(err, health.ErrHostKeyChanged) || !errors.As(err, &p) || p.Params["old"] != want || p.Params["new"] != rotated {
		t.Fatalf("changed key: got %v; want health.ErrHostKeyChanged with old %s and new %s", err, want, rotated)
	}
	if v := health.Classify(health.Observation{Err: err}); v.Problem == nil || v.Problem.Code != "problem.ssh_host_key_changed" || v.Status != integration.StatusNeedsReauth {
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

type bastionFailure struct {
	name       string
	cfg        func() health.SSHConfig
	sentinel   error
	wantCode   string
	wantStatus integration.Status
}

// bastionFailures are the bastion's distinct failures, set up against b.
func bastionFailures(t *testing.T, b *testrig.Bastion) []bastionFailure {
	nsHost, nsPort := notSSH(t)
	return []bastionFailure{
		{"host key changed", func() health.SSHConfig {
			c := bastionConfig(b)
			c.KnownKey = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			return c
		}, health.ErrHostKeyChanged, "problem.ssh_host_key_changed", integration.StatusNeedsReauth},
		{"host key could not be enrolled", func() health.SSHConfig {
			return health.SSHConfig{Host: nsHost, Port: nsPort, User: "relink", PrivateKey: b.ClientKey}
		}, health.ErrHostKeyNotEnrolled, "problem.ssh_host_key_not_enrolled", integration.StatusError},
		{"host unreachable", func() health.SSHConfig {
			return health.SSHConfig{Host: "127.0.0.1", Port: closedPort(t), User: "relink", PrivateKey: b.ClientKey}
		}, health.ErrSSHUnreachable, "problem.ssh_unreachable", integration.StatusError},
		{"user key refused", func() health.SSHConfig {
			c := bastionConfig(b)
			c.PrivateKey = otherClientKey(t)
			return c
		}, health.ErrSSHAuth, "problem.ssh_auth_failed", integration.StatusNeedsReauth},
	}
}

func TestSSHFailuresAreDistinctProblems(t *testing.T) {
	for _, tc := range bastionFailures(t, testrig.NewBastion(t)) {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg()
			_, err := DialSSH(testCtx(t), cfg)
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("DialSSH = %v; want %v", err, tc.sentinel)
			}
			v := health.Classify(health.Observation{Err: err})
			if v.Problem == nil || v.Problem.Code != tc.wantCode || v.Status != tc.wantStatus {
				t.Errorf("health.Classify = %+v; want %s with %s", v, tc.wantStatus, tc.wantCode)
			}
			if v.Cause == integration.CauseAppProblem {
				t.Errorf("a bastion's failure was blamed on Relink: %+v", v)
			}
			if tc.sentinel == health.ErrSSHUnreachable && !health.NetworkFailure(v) {
				t.Errorf("an unreachable bastion is not a network failure: %+v", v)
			}
		})
	}
}

func TestScanHostKeyShowsTheKeyPresentedNow(t *testing.T) {
	for _, pr := range probers() {
		t.Run(pr.name, func(t *testing.T) {
			b := testrig.NewBastion(t)
			cfg := bastionConfig(b)
			got, err := pr.ScanHostKey(testCtx(t), cfg)
			if err != nil || got != b.Fingerprint() {
				t.Fatalf("ScanHostKey = %q, %v; want %s", got, err, b.Fingerprint())
			}
			rotated := b.Rotate(t)
			if got, err = pr.ScanHostKey(testCtx(t), cfg); err != nil || got != rotated {
				t.Fatalf("after rotation ScanHostKey = %q, %v; want %s", got, err, rotated)
			}
			if !health.ValidFingerprint(got) {
				t.Errorf("ValidFingerprint(%q) = false", got)
			}
			cfg.Port = closedPort(t)
			_, err = pr.ScanHostKey(testCtx(t), cfg)
			var p *integration.Problem
			if v := health.Classify(health.Observation{Err: err}); !errors.As(err, &p) || p.Code != "problem.ssh_unreachable" || !health.NetworkFailure(v) {
				t.Errorf("scan of a closed port = %v (%+v); want problem.ssh_unreachable, a network failure", err, v)
			}
		})
	}
}

// TestBastionFailuresCrossTheHelperIntact: a database check through each
// failing bastion gets the same verdict, problem and params from the
// helper as in this process.
func TestBastionFailuresCrossTheHelperIntact(t *testing.T) {
	b := testrig.NewBastion(t)
	ps := probers()
	local, helper := ps[0], ps[1]
	for _, tc := range bastionFailures(t, b) {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg()
			r := health.DBRequest{Engine: "postgres", Host: "127.0.0.1", Port: 5432, Database: "d", User: "u", Password: "secret-pass-1", SSH: &cfg}
			want := health.Classify(local.ProbeDB(testCtx(t), r))
			o := helper.ProbeDB(testCtx(t), r)
			got := health.Classify(o)
			if !reflect.DeepEqual(got, want) || got.Problem == nil || got.Problem.Code != tc.wantCode {
				t.Errorf("through the helper: %+v; want %+v (%s)", got, want, tc.wantCode)
			}
			if tc.wantCode == "problem.ssh_host_key_changed" && got.Problem.Params["new"] != b.Fingerprint() {
				t.Errorf("new key param = %q; want %s", got.Problem.Params["new"], b.Fingerprint())
			}
		})
	}
}

func TestPostgresThroughSSHTunnel(t *testing.T) {
	r := dbEnv(t, "PG", "postgres")
	b := testrig.NewBastion(t)
	cfg := bastionConfig(b)
	r.SSH = &cfg
	for _, pr := range probers() {
		o := pr.ProbeDB(context.Background(), r)
		if v := health.Classify(o); v.Status != integration.StatusConnected || o.SSHHostKey != b.Fingerprint() {
			t.Errorf("%s: got %v (%v, %s); want connected through the tunnel with the key seen", pr.name, v, o.Err, o.DBCode)
		}
	}
}
