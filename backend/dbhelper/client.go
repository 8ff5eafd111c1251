package dbhelper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"relink/backend/health"
	"relink/backend/integration"
)

// Name is the helper's executable name.
func Name() string {
	if runtime.GOOS == "windows" {
		return "relink-dbprobe.exe"
	}
	return "relink-dbprobe"
}

// Locate finds the helper installed with the executable exe: beside it (a
// build tree, Windows), else in ../lib/relink (the .deb and `make
// install`, which keep helpers off PATH). When neither
// exists it returns the first, so the error names where it was expected.
func Locate(exe string) string {
	dir := filepath.Dir(exe)
	beside := filepath.Join(dir, Name())
	for _, p := range []string{beside, filepath.Join(dir, "..", "lib", "relink", Name())} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return beside
}

// Client runs checks in the helper at Path.
type Client struct{ Path string }

// margin is how much sooner than the caller the helper gives up, so its
// own verdict (which names the stage that hung) arrives before the caller
// stops waiting.
const margin = 500 * time.Millisecond

// maxReply bounds what is read from the helper.
const maxReply = 1 << 20

// ProbeDB runs health's database probe in the helper.
func (c Client) ProbeDB(ctx context.Context, r health.DBRequest) health.Observation {
	req := Request{Op: OpProbe, DB: &r, Password: r.Password}
	if r.SSH != nil {
		req.SSHKey = r.SSH.PrivateKey
	}
	rep, err := c.run(ctx, req)
	if err != nil {
		return health.Observation{Err: err, Now: time.Now()}
	}
	return rep.Observation()
}

// ScanHostKey reads the key the bastion presents now, in the helper.
func (c Client) ScanHostKey(ctx context.Context, cfg health.SSHConfig) (string, error) {
	cfg.PrivateKey = "" // a scan does not authenticate
	rep, err := c.run(ctx, Request{Op: OpScan, SSH: &cfg})
	if err != nil {
		return "", err
	}
	if rep.Err != nil {
		return "", rep.Err
	}
	return rep.SSHHostKey, nil
}

func (c Client) run(ctx context.Context, req Request) (Reply, error) {
	if dl, ok := ctx.Deadline(); ok {
		req.Deadline = dl
		if time.Until(dl) > 2*margin {
			req.Deadline = dl.Add(-margin)
		}
	}
	in, err := json.Marshal(req)
	if err != nil {
		return Reply{}, fmt.Errorf("encode request: %w", err)
	}
	cmd := exec.CommandContext(ctx, c.Path)
	cmd.Stdin = bytes.NewReader(in)
	var out, stderr boundedBuffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	cmd.WaitDelay = time.Second
	hideWindow(cmd)
	err = cmd.Run()
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound):
		return Reply{}, ownFault(err, integration.NewProblem("problem.db_helper_missing", "path", c.Path))
	case ctx.Err() != nil:
		return Reply{}, fmt.Errorf("database helper: %w", ctx.Err())
	case err != nil:
		return Reply{}, ownFault(fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String())), integration.NewProblem("problem.db_helper_failed"))
	}
	var rep Reply
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return Reply{}, ownFault(fmt.Errorf("read reply: %w", err), integration.NewProblem("problem.db_helper_failed"))
	}
	return rep, nil
}

// ownFault is a failure of the helper itself, a problem inside Relink,
// classified here: what the helper printed (a panic, say) is kept for the
// log and is never read as a database's words.
func ownFault(err error, p *integration.Problem) error {
	return &health.ClassifiedError{Text: "database helper: " + err.Error(),
		Verdict: health.Verdict{Status: integration.StatusError, Cause: integration.CauseAppProblem, Problem: p}}
}

// boundedBuffer keeps the first maxReply bytes written to it.
type boundedBuffer struct{ bytes.Buffer }

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := maxReply - b.Len(); room < len(p) {
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
