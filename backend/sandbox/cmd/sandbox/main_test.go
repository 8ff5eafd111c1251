package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunPrintsItsURLAndServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrFile := filepath.Join(t.TempDir(), "addr")
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr-file", addrFile, "-access-ttl", "2s"}, w) }()

	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("first stdout line: %v", err)
	}
	base := strings.TrimSpace(line)
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("printed %q; want http://127.0.0.1:PORT", base)
	}
	if b, err := os.ReadFile(addrFile); err != nil || strings.TrimSpace(string(b)) != base {
		t.Errorf("address file = %q, %v; want %q", b, err, base)
	}

	resp, err := http.Get(base + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	var md struct{ Issuer string }
	json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if md.Issuer != base {
		t.Errorf("issuer = %q; want %q", md.Issuer, base)
	}
	resp, err = http.Get(base + "/control/state")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		AccessTTLMS int64 `json:"accessTtlMs"`
	}
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.AccessTTLMS != 2000 {
		t.Errorf("accessTtlMs = %d; want 2000 from -access-ttl 2s", st.AccessTTLMS)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v; want nil", err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"-addr", "not an address"}} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("run(%q) = nil; want an error", args)
		}
	}
}
