package dbprobe

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"relink/backend/dbhelper"
	"relink/backend/health"
)

// helperPath is the relink-dbprobe helper TestMain builds, so each probe
// test also runs through the real process and pipe Relink uses.
var helperPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dbprobe-helper")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	helperPath = filepath.Join(dir, dbhelper.Name())
	if out, err := exec.Command("go", "build", "-o", helperPath, "../cmd/relink-dbprobe").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build the helper: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type dbProber interface {
	ProbeDB(ctx context.Context, r health.DBRequest) health.Observation
	ScanHostKey(ctx context.Context, cfg health.SSHConfig) (string, error)
}

type prober struct {
	name string
	dbProber
}

// probers are the probes in this process and in the helper.
func probers() []prober {
	return []prober{{"local", Local{}}, {"helper", dbhelper.Client{Path: helperPath}}}
}
