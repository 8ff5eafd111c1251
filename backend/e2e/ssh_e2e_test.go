package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"relink/backend/internal/testrig"
)

// TestCLIAcceptsAChangedBastionKey runs the real binary against a real SSH
// bastion (in this test process) in front of the real PostgreSQL.
func TestCLIAcceptsAChangedBastionKey(t *testing.T) {
	if os.Getenv("RELINK_TEST_KEYRING") == "" || os.Getenv("RELINK_TEST_KEYRING_MODE") != "unlocked" {
		t.Skip("needs the real Secret Service: run under .ci/with-keyring")
	}
	if os.Getenv("RELINK_TEST_PG_HOST") == "" {
		t.Skip(`needs a real PostgreSQL: eval "$(.ci/start-postgres DIR)"`)
	}
	build(t)
	data := t.TempDir()
	b := testrig.NewBastion(t)
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(keyFile, []byte(b.ClientKey), 0o600); err != nil {
		t.Fatal(err)
	}
	first := b.Fingerprint()
	r := relinkCLI(t, data, os.Getenv("RELINK_TEST_PG_PASSWORD")+"\n", "add", "postgres", "--name", "warehouse",
		"--set", "host="+os.Getenv("RELINK_TEST_PG_HOST"), "--set", "port="+os.Getenv("RELINK_TEST_PG_PORT"),
		"--set", "database="+os.Getenv("RELINK_TEST_PG_DB"), "--set", "user="+os.Getenv("RELINK_TEST_PG_USER"), "--set", "tls_mode=disable",
		"--set", "ssh_host="+b.Host, "--set", "ssh_port="+strconv.Itoa(b.Port), "--set", "ssh_user=relink",
		"--secret-stdin", "--secret-file", "ssh_key="+keyFile, "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"connected"`) {
		t.Fatalf("add through the bastion: exit %d %s %s", r.code, r.stdout, r.stderr)
	}

	second := b.Rotate(t)
	r = relinkCLI(t, data, "", "check", "warehouse")
	if r.code != 3 || !strings.Contains(r.stdout, first) || !strings.Contains(r.stdout, second) {
		t.Fatalf("check after rotation: exit %d %q; want 3 showing %s and %s", r.code, r.stdout, first, second)
	}

	wrong := "SHA256:" + strings.Repeat("A", 43)
	if r = relinkCLI(t, data, "", "reauth", "warehouse", "--accept-host-key", wrong); r.code != 1 ||
		!strings.Contains(r.stderr, wrong) || !strings.Contains(r.stderr, second) {
		t.Fatalf("a wrong fingerprint: exit %d %q; want 1 naming both fingerprints", r.code, r.stderr)
	}
	if r = relinkCLI(t, data, "", "reauth", "warehouse", "--accept-host-key", "yes"); r.code != 2 {
		t.Fatalf("not a fingerprint: exit %d %q; want 2", r.code, r.stderr)
	}
	if r = relinkCLI(t, data, "", "check", "warehouse"); r.code != 3 {
		t.Fatalf("refused fingerprints repaired it anyway: exit %d", r.code)
	}

	if r = relinkCLI(t, data, "", "reauth", "warehouse", "--accept-host-key", second, "--json"); r.code != 0 || !strings.Contains(r.stdout, `"connected"`) {
		t.Fatalf("accept the shown key: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = relinkCLI(t, data, "", "history", "warehouse", "--json")
	var evs []struct {
		Message string            `json:"message"`
		Params  map[string]string `json:"params"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil {
		t.Fatalf("history: %v %s", err, r.stdout)
	}
	found := false
	for _, e := range evs {
		found = found || (e.Message == "event.ssh_host_key_accepted" && e.Params["old"] == first && e.Params["new"] == second)
	}
	if !found {
		t.Errorf("history lacks the accepted key from %s to %s: %s", first, second, r.stdout)
	}
	if r = relinkCLI(t, data, "", "check", "warehouse"); r.code != 0 {
		t.Errorf("check after accepting: exit %d %s", r.code, r.stdout)
	}
}
