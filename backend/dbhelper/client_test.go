package dbhelper

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relink/backend/health"
	"relink/backend/integration"
)

// script writes an executable shell script standing in for the helper:
// fault injection beside package dbprobe's tests, which run the real one.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "relink-dbprobe")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHelperFailuresAreRelinksOwn(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		wantCode   string
	}{
		{"missing", filepath.Join(t.TempDir(), "relink-dbprobe"), "problem.db_helper_missing"},
		// What a crash prints must never be read as a database's words.
		{"crashes", script(t, `echo "panic: dial tcp: connection refused; tls: x509:" >&2; exit 2`), "problem.db_helper_failed"},
		{"answers garbage", script(t, `echo "connection refused"`), "problem.db_helper_failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Client{Path: tc.path}.ProbeDB(context.Background(), health.DBRequest{Engine: "postgres"})
			v := health.Classify(o)
			if v.Status != integration.StatusError || v.Cause != integration.CauseAppProblem || v.Problem == nil || v.Problem.Code != tc.wantCode {
				t.Errorf("got %+v (%v); want error/app_problem %s", v, o.Err, tc.wantCode)
			}
			if tc.wantCode == "problem.db_helper_missing" && v.Problem.Params["path"] != tc.path {
				t.Errorf("path param = %q; want %s", v.Problem.Params["path"], tc.path)
			}
		})
	}
}

func TestHelperThatHangsIsATimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	o := Client{Path: script(t, "exec sleep 30")}.ProbeDB(ctx, health.DBRequest{Engine: "postgres"})
	if v := health.Classify(o); v.Problem == nil || v.Problem.Code != "problem.timeout" {
		t.Errorf("got %+v (%v); want problem.timeout", v, o.Err)
	}
}

// TestSecretsGoOnlyToStdin: the password and the bastion key reach the
// helper on its standard input, never in its arguments or environment,
// and the helper is told to answer before the caller stops waiting.
func TestSecretsGoOnlyToStdin(t *testing.T) {
	dir := t.TempDir()
	seen := filepath.Join(dir, "seen")
	helper := script(t, `cat > "`+seen+`.in"; echo "$@" > "`+seen+`.args"; env > "`+seen+`.env"; echo '{"account":"reader","now":"2026-11-30T00:00:00Z"}'`)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := health.DBRequest{Engine: "postgres", Host: "db", Port: 5432, User: "reader", Password: "pw-on-stdin-only",
		SSH: &health.SSHConfig{Host: "bastion", PrivateKey: "KEY-ON-STDIN-ONLY"}}
	o := Client{Path: helper}.ProbeDB(ctx, r)
	if o.Err != nil || o.Account != "reader" {
		t.Fatalf("got %+v; want the helper's account", o)
	}
	for _, f := range []string{".args", ".env"} {
		b, _ := os.ReadFile(seen + f)
		if strings.Contains(string(b), "pw-on-stdin-only") || strings.Contains(string(b), "KEY-ON-STDIN-ONLY") {
			t.Errorf("a secret is in the helper's %s", f)
		}
	}
	b, err := os.ReadFile(seen + ".in")
	if err != nil {
		t.Fatal(err)
	}
	var req Request
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	dl, _ := ctx.Deadline()
	if req.Op != OpProbe || req.Password != r.Password || req.SSHKey != "KEY-ON-STDIN-ONLY" || req.DB.Host != "db" {
		t.Errorf("request = %s; want the probe with its secrets", b)
	}
	if strings.Count(string(b), "pw-on-stdin-only") != 1 || strings.Count(string(b), "KEY-ON-STDIN-ONLY") != 1 {
		t.Errorf("each secret should be written once, in its named field: %s", b)
	}
	if !req.Deadline.Before(dl) || dl.Sub(req.Deadline) > time.Second {
		t.Errorf("helper deadline %v; want shortly before the caller's %v", req.Deadline, dl)
	}
}

func TestLocateFindsTheHelperBesideOrInLib(t *testing.T) {
	root := t.TempDir()
	exe := filepath.Join(root, "usr", "bin", "relink")
	lib := filepath.Join(root, "usr", "lib", "relink", Name())
	if got, want := Locate(exe), filepath.Join(root, "usr", "bin", Name()); got != want {
		t.Errorf("Locate with no helper = %s; want %s (where it was expected)", got, want)
	}
	for _, d := range []string{filepath.Dir(lib), filepath.Dir(exe)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(lib, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Locate(exe); filepath.Clean(got) != lib {
		t.Errorf("Locate = %s; want %s", got, lib)
	}
	beside := filepath.Join(root, "usr", "bin", Name())
	if err := os.WriteFile(beside, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Locate(exe); got != beside {
		t.Errorf("Locate = %s; want %s (beside wins)", got, beside)
	}
}

func TestRequestsNeverPrintOrMarshalSecrets(t *testing.T) {
	r := health.DBRequest{Engine: "postgres", Host: "db", Port: 5432, User: "u", Password: "pw-never-printed",
		SSH: &health.SSHConfig{Host: "b", User: "relink", PrivateKey: "KEY-NEVER-PRINTED"}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{string(b), fmt.Sprintf("%v %+v %s", r, r, r), fmt.Sprintf("%v %+v", *r.SSH, *r.SSH)} {
		if strings.Contains(s, "pw-never-printed") || strings.Contains(s, "KEY-NEVER-PRINTED") {
			t.Errorf("a secret is in %s", s)
		}
	}
}
