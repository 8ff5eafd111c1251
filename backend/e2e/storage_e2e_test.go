package e2e

import (
	"bytes"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relink/backend/internal/testrig"
	"relink/backend/store"
)

// checkEvents counts the check events history holds for name.
func checkEvents(t *testing.T, data, name string) int {
	t.Helper()
	r := relinkCLI(t, data, "", "history", name, "--json", "--limit", "1000")
	return strings.Count(r.stdout, `"kind": "check"`)
}

// TestStorageFaultsInTheRunningApp runs the real window over data it
// cannot write — a newer Relink's database, a read-only mount, a full
// disk — and checks that it starts anyway (tray up, process alive), that
// the command line reads the same data and names the problem, that
// nothing is changed or lost, and that it recovers once the cause is gone.
func TestStorageFaultsInTheRunningApp(t *testing.T) {
	needRig(t)
	build(t)
	data := testrig.MountTmpfs(t, "8m")
	display := startXvfb(t)
	startDunst(t, display)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer key-one" {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, `{"email":"ops@example.com"}`)
	}))
	defer api.Close()
	if r := relinkCLI(t, data, "key-one\n", "add", "custom-api-key", "--name", "Orders API", "--set", "test_url="+api.URL,
		"--set", "account_path=email", "--secret-stdin"); r.code != 0 {
		t.Fatalf("add: %s", r.stderr)
	}
	dbPath := filepath.Join(data, store.DBFile)

	t.Run("newer schema", func(t *testing.T) {
		db, err := sql.Open("sqlite", dbPath)
		if err != nil {
			t.Fatal(err)
		}
		db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 1)`)
		db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		db.Close()
		before, _ := os.ReadFile(dbPath)

		ra := launchApp(t, display, data)
		r := relinkCLI(t, data, "", "list")
		if r.code != 0 || !strings.Contains(r.stdout, "Orders API") || !strings.Contains(r.stderr, "newer Relink") {
			t.Errorf("list over a newer schema: exit %d\nstdout %s\nstderr %s\nwant the integration and the reason", r.code, r.stdout, r.stderr)
		}
		if r := relinkCLI(t, data, "", "check", "Orders API"); r.code == 0 || !strings.Contains(r.stderr, "newer Relink") {
			t.Errorf("check over a newer schema: exit %d, stderr %q; want a refusal naming the reason", r.code, r.stderr)
		}
		eventually(t, "the tray to say Relink cannot save", 10*time.Second, func() bool {
			return strings.HasPrefix(ra.tray.tooltip(), "Relink can’t save its data")
		})
		eventually(t, "a notification naming the newer schema", 10*time.Second, func() bool {
			return strings.Contains(dunstHistory(), "newer Relink")
		})
		if !ra.alive() {
			t.Fatalf("the app exited over a newer schema:\n%s", ra.stderr.String())
		}
		ra.stop(t)
		if after, _ := os.ReadFile(dbPath); !bytes.Equal(before, after) {
			t.Errorf("a newer Relink's database was modified")
		}
		db, _ = sql.Open("sqlite", dbPath)
		db.Exec(`DELETE FROM schema_migrations WHERE version = 999`)
		db.Close()
	})

	t.Run("read-only mount, then writable again", func(t *testing.T) {
		before := checkEvents(t, data, "Orders API")
		testrig.Mount(t, "-o", "remount,ro", data)
		ra := launchApp(t, display, data)
		r := relinkCLI(t, data, "", "list")
		if r.code != 0 || !strings.Contains(r.stdout, "Orders API") || !strings.Contains(r.stderr, dbPath+" is read-only") {
			t.Errorf("list on a read-only mount: exit %d\nstdout %s\nstderr %s\nwant the integration and the file named", r.code, r.stdout, r.stderr)
		}
		eventually(t, "the tray to say Relink cannot save", 10*time.Second, func() bool {
			return strings.HasPrefix(ra.tray.tooltip(), "Relink can’t save its data")
		})
		if !ra.alive() {
			t.Fatalf("the app exited on a read-only mount:\n%s", ra.stderr.String())
		}
		// Fixed under the running app: the tray's "Check all now" retries
		// the storage first, then checks and records.
		testrig.Mount(t, "-o", "remount,rw", data)
		eventually(t, "a recorded check after the mount became writable", 30*time.Second, func() bool {
			ra.tray.clickRow(t, "Check all now")
			time.Sleep(time.Second)
			return checkEvents(t, data, "Orders API") > before
		})
		eventually(t, "the tray to drop the storage problem", 10*time.Second, func() bool {
			return !strings.Contains(ra.tray.tooltip(), "can’t save")
		})
		ra.stop(t)
	})

	t.Run("disk full while running, then space again", func(t *testing.T) {
		ra := launchApp(t, display, data)
		filler := filepath.Join(data, "filler")
		testrig.FillDisk(t, filler)
		for i := 0; i < 5; i++ {
			ra.tray.clickRow(t, "Check all now")
			time.Sleep(300 * time.Millisecond)
		}
		if !ra.alive() {
			t.Fatalf("the app exited on a full disk:\n%s", ra.stderr.String())
		}
		if r := relinkCLI(t, data, "", "list"); r.code != 0 || !strings.Contains(r.stdout, "Orders API") {
			t.Errorf("list on a full disk: exit %d, %s; want the integration", r.code, r.stderr)
		}
		saved := checkEvents(t, data, "Orders API")
		os.Remove(filler)
		eventually(t, "a recorded check after space returned", 30*time.Second, func() bool {
			ra.tray.clickRow(t, "Check all now")
			time.Sleep(time.Second)
			return checkEvents(t, data, "Orders API") > saved
		})
		ra.stop(t)
	})

	assertIntegrity(t, data)
}
