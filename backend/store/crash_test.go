package store

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"relink/backend/integration"
)

// TestHelperBurst is the child of TestKillDuringHistoryBurst: it appends
// batches until it is killed.
func TestHelperBurst(t *testing.T) {
	path := os.Getenv("RELINK_STORE_BURST_DB")
	if path == "" {
		t.Skip("helper process")
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	batch := make([]integration.Event, 200)
	for i := range batch {
		batch[i] = integration.Event{Kind: integration.EventCheck, Integration: "burst", Message: "problem.provider_outage"}
	}
	os.WriteFile(path+".ready", nil, 0o600)
	for n := 0; ; n++ {
		if err := s.AppendEvents(context.Background(), batch...); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			os.WriteFile(path+".committed", nil, 0o600)
		}
	}
}

// TestKillDuringHistoryBurst kills a writer with SIGKILL mid-burst, many
// times: every restart opens, keeps what was committed and passes
// PRAGMA integrity_check.
func TestKillDuringHistoryBurst(t *testing.T) {
	path := filepath.Join(t.TempDir(), DBFile)
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	last := 0
	for round := 0; round < 8; round++ {
		os.Remove(path + ".ready")
		os.Remove(path + ".committed")
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBurst$")
		cmd.Env = append(os.Environ(), "RELINK_STORE_BURST_DB="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200; i++ {
			if _, err := os.Stat(path + ".ready"); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(20+round*15) * time.Millisecond)
		if round == 7 && last == 0 {
			// On a loaded machine no earlier round may have reached a
			// commit: the last one waits for one, so the test always
			// checks that committed batches survive a kill.
			for i := 0; i < 3000; i++ {
				if _, err := os.Stat(path + ".committed"); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		if res, err := s.IntegrityCheck(context.Background()); err != nil || res != "ok" {
			t.Fatalf("round %d: integrity_check %q, %v", round, res, err)
		}
		var n int
		s.db.QueryRow(`SELECT count(*) FROM events`).Scan(&n)
		if n < last || n%200 != 0 {
			t.Fatalf("round %d: %d events after %d; want whole batches only, never fewer", round, n, last)
		}
		last = n
		s.Close()
	}
	if last == 0 {
		t.Errorf("no batch was ever committed before the kills")
	}
}
