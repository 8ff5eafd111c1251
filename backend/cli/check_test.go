package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"relink/backend/integration"
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
