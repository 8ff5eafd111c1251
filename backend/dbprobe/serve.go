package dbprobe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"relink/backend/dbhelper"
	"relink/backend/health"
)

// Serve answers one request read from in on out: the relink-dbprobe
// helper's whole life.
func Serve(ctx context.Context, in io.Reader, out io.Writer) error {
	var req dbhelper.Request
	if err := json.NewDecoder(io.LimitReader(in, 1<<20)).Decode(&req); err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	if !req.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, req.Deadline)
		defer cancel()
	}
	var rep dbhelper.Reply
	switch {
	case req.Op == dbhelper.OpProbe && req.DB != nil:
		r := *req.DB
		r.Password = req.Password
		if r.SSH != nil {
			r.SSH.PrivateKey = req.SSHKey
		}
		rep = dbhelper.ReplyOf(ProbeDB(ctx, r))
	case req.Op == dbhelper.OpScan && req.SSH != nil:
		key, err := ScanHostKey(ctx, *req.SSH)
		rep = dbhelper.Reply{SSHHostKey: key, Err: health.Classified(err), Now: time.Now()}
	default:
		return errors.New("request names no known op with its settings")
	}
	if err := json.NewEncoder(out).Encode(rep); err != nil {
		return fmt.Errorf("write reply: %w", err)
	}
	return nil
}

// Local runs the probes in this process, for the tests that check
// classification against real servers (Relink itself uses dbhelper).
type Local struct{}

// ProbeDB is the package's ProbeDB.
func (Local) ProbeDB(ctx context.Context, r health.DBRequest) health.Observation {
	return ProbeDB(ctx, r)
}

// ScanHostKey is the package's ScanHostKey.
func (Local) ScanHostKey(ctx context.Context, cfg health.SSHConfig) (string, error) {
	return ScanHostKey(ctx, cfg)
}
