package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"relink/backend/integration"
	"relink/backend/services"
	"relink/backend/store"
)

// Misreading: `relink check` right after a service stopped printed
// Connected and exited 0. It now exits 3 with the provider-issue cause on
// the first call.
func TestCheckRightAfterAnOutageExits3(t *testing.T) {
	h := newHarness(t)
	srv, _ := keyServer(t)
	if code, _, errs := h.run("k1\n", "add", "custom-api-key", "--name", "Ops API", "--set", "test_url="+srv.URL+"/me", "--set", "account_path=email", "--secret-stdin"); code != ExitOK {
		t.Fatalf("add: exit %d, %s", code, errs)
	}
	if code, _, _ := h.run("", "check", "Ops API"); code != ExitOK {
		t.Fatalf("healthy check: exit %d; want 0", code)
	}
	srv.Close() // the service is gone: connection refused
	code, out, _ := h.run("", "check", "Ops API")
	if code != ExitAttention || !strings.Contains(out, "Error") || strings.Contains(out, "Connected") {
		t.Errorf("first check after the outage: exit %d\n%s\nwant 3, Error, never Connected", code, out)
	}
}

// While a background failure awaits confirmation, the list says
// "Checking again…", never "Connected" (English and Spanish).
func TestListSaysCheckingAgainWhileUnconfirmed(t *testing.T) {
	h := newHarness(t)
	srv, _ := keyServer(t)
	if code, _, errs := h.run("k1\n", "add", "custom-api-key", "--name", "Ops API", "--set", "test_url="+srv.URL+"/me", "--set", "account_path=email", "--secret-stdin"); code != ExitOK {
		t.Fatalf("add: exit %d, %s", code, errs)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(h.dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	in, err := st.FindIntegration(ctx, "Ops API")
	if err != nil {
		t.Fatal(err)
	}
	in.Unconfirmed = integration.NewProblem("problem.provider_outage", "status", "503")
	if err := st.UpdateIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for lang, want := range map[string]string{"en_US.UTF-8": "Checking again…", "es_ES.UTF-8": "Comprobando de nuevo…"} {
		h.lang = lang
		code, out, _ := h.run("", "list")
		if code != ExitOK || !strings.Contains(out, want) || strings.Contains(out, "Connected") || strings.Contains(out, "Conectada") {
			t.Errorf("%s list: exit %d\n%s\nwant %q, never connected", lang, code, out, want)
		}
	}
}

// Acceptance, with the real PostgreSQL .ci/start-postgres runs: `relink
// check NAME` on a database whose server was just stopped exits 3 with the
// provider-issue cause on the first call; on a healthy one it exits 0.
func TestCheckStoppedPostgresExits3(t *testing.T) {
	if os.Getenv("RELINK_TEST_PG_HOST") == "" {
		t.Skip(`needs a real PostgreSQL: eval "$(.ci/start-postgres DIR)"`)
	}
	h := newHarness(t)
	code, _, errs := h.run(os.Getenv("RELINK_TEST_PG_PASSWORD")+"\n", "add", "postgres", "--name", "Warehouse",
		"--set", "host="+os.Getenv("RELINK_TEST_PG_HOST"), "--set", "port="+os.Getenv("RELINK_TEST_PG_PORT"),
		"--set", "database="+os.Getenv("RELINK_TEST_PG_DB"), "--set", "user="+os.Getenv("RELINK_TEST_PG_USER"),
		"--set", "tls_mode=disable", "--set", "tables=orders", "--secret-stdin")
	if code != ExitOK {
		t.Fatalf("add: exit %d, %s", code, errs)
	}
	if code, out, _ := h.run("", "check", "Warehouse"); code != ExitOK {
		t.Fatalf("healthy: exit %d\n%s", code, out)
	}
	stop := exec.Command("sh", "-c", os.Getenv("RELINK_TEST_PG_STOP"))
	if out, err := stop.CombinedOutput(); err != nil {
		t.Fatalf("stop: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("sh", "-c", os.Getenv("RELINK_TEST_PG_START")).CombinedOutput(); err != nil {
			t.Errorf("restart: %v %s", err, out)
		}
	})
	code, out, _ := h.run("", "check", "Warehouse", "--json")
	var views []services.IntegrationView
	json.Unmarshal([]byte(out), &views)
	if code != ExitAttention || len(views) != 1 || views[0].Cause != "provider_issue" {
		t.Errorf("first check after the stop: exit %d\n%s\nwant 3 with cause provider_issue", code, out)
	}
}
