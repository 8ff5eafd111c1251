package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"relink/backend/cli"
	"relink/backend/integration"
	"relink/backend/store"
)

// TestKillDuringRefreshRotation kills `relink check` with SIGKILL, over and
// over, while it refreshes a token the sandbox rotates: before the request,
// while the sandbox holds back its answer (the rotation is committed, the
// client has not seen the new refresh token), and after the answer. With a
// rotation grace window, as real providers offer, the grant survives every
// kill and the database stays intact. Without one, a kill in the reply
// window costs the grant, and Relink says so plainly: needs_reauth.
func TestKillDuringRefreshRotation(t *testing.T) {
	needRig(t)
	sb := startSandbox(t)
	const replyDelay = 300 * time.Millisecond

	t.Run("with a grace window every kill is survived", func(t *testing.T) {
		data := t.TempDir()
		addAuthorized(t, sb, data, "rotating")
		sb.control(t, "state", fmt.Sprintf(`{"refreshGraceMs":60000,"replyDelayMs":%d}`, replyDelay.Milliseconds()))

		seed := uint64(time.Now().UnixNano())
		if s := os.Getenv("RELINK_CRASH_SEED"); s != "" {
			seed, _ = strconv.ParseUint(s, 10, 64)
		}
		t.Logf("seed %d (rerun with RELINK_CRASH_SEED=%d)", seed, seed)
		rng := rand.New(rand.NewPCG(seed, 0))
		// Where each kill lands, in turn: before the refresh request, in
		// the reply window (rotation committed, answer not yet sent), and
		// after the answer, while the client saves what it got.
		window := func() time.Duration { return time.Duration(rng.Int64N(int64(replyDelay))) }
		afterReply := func() time.Duration { return replyDelay + time.Duration(rng.Int64N(int64(100*time.Millisecond))) }
		plans := []func() time.Duration{nil, window, window, afterReply, afterReply}
		var early, killed, finished int
		for i := range 20 {
			sb.control(t, "expire-tokens", "")
			before := sb.refreshCount(t)
			c := startCheck(t, data, "rotating")
			plan := plans[i%len(plans)]
			if plan == nil {
				// Most likely before the process has even read its data.
				c.kill()
				early++
				t.Logf("iteration %d: killed right away", i)
				continue
			}
			if !c.waitForRefresh(t, sb, before) {
				t.Fatalf("iteration %d: check exited (%v) before refreshing; stdout %s stderr %s; want a refresh",
					i, c.err, c.stdout.String(), c.stderr.String())
			}
			pause := plan()
			time.Sleep(pause)
			if c.kill() {
				killed++
				t.Logf("iteration %d: killed %v after the refresh arrived", i, pause.Round(time.Millisecond))
				continue
			}
			finished++
			if c.err != nil {
				t.Fatalf("iteration %d: check exited on its own with %v; stdout %s stderr %s; want exit 0",
					i, c.err, c.stdout.String(), c.stderr.String())
			}
			t.Logf("iteration %d: had finished %v after the refresh arrived", i, pause.Round(time.Millisecond))
		}
		t.Logf("killed before the refresh %d, after it arrived %d; finished before the kill %d", early, killed, finished)

		assertIntegrity(t, data)

		sb.control(t, "state", `{"replyDelayMs":0}`)
		sb.control(t, "expire-tokens", "")
		before := sb.refreshCount(t)
		r := relinkCLI(t, data, "", "check", "rotating", "--json")
		if got, _ := checkedStatus(t, r); r.code != cli.ExitOK || got != integration.StatusConnected {
			t.Fatalf("check after the kills: exit %d status %s (%s); want exit %d status %s",
				r.code, got, r.stderr, cli.ExitOK, integration.StatusConnected)
		}
		if got := sb.refreshCount(t) - before; got != 1 {
			t.Errorf("refreshes by the check after the kills: got %d; want 1", got)
		}
		if got := whoamiStatus(t, sb, data, "rotating"); got != http.StatusOK {
			t.Errorf("whoami with the current token: got %d; want %d", got, http.StatusOK)
		}
		counters := sb.control(t, "counters", "")
		if got := counters["refreshReuseDetected"]; got != 0.0 {
			t.Errorf("families revoked for reuse: got %v; want 0", got)
		}
		t.Logf("refresh tokens redeemed within the grace window: %v", counters["refreshGraceReuses"])
		sb.control(t, "reset", "")
	})

	t.Run("without a grace window a kill in the reply window needs reauth", func(t *testing.T) {
		data := t.TempDir()
		addAuthorized(t, sb, data, "strict")
		// Long enough that the kill below surely lands inside it.
		sb.control(t, "state", `{"refreshGraceMs":0,"replyDelayMs":2000}`)
		sb.control(t, "expire-tokens", "")
		before := sb.refreshCount(t)
		c := startCheck(t, data, "strict")
		if !c.waitForRefresh(t, sb, before) {
			t.Fatalf("check exited (%v) before refreshing; stdout %s stderr %s; want a refresh", c.err, c.stdout.String(), c.stderr.String())
		}
		if !c.kill() {
			t.Fatalf("check exited on its own during a 2 s reply delay; want it killed while waiting")
		}
		sb.control(t, "state", `{"replyDelayMs":0}`)
		assertIntegrity(t, data)

		// The old refresh token is a replay now: one refused refresh, a
		// clear verdict, and no retrying it afterwards.
		for i, wantRefreshes := range []int{1, 0} {
			before := sb.refreshCount(t)
			r := relinkCLI(t, data, "", "check", "strict", "--json")
			// The sandbox says reuse revoked the whole family, and that
			// stays the reason once Relink has dropped the dead grant.
			got, cause := checkedStatus(t, r)
			if r.code != cli.ExitAttention || got != integration.StatusNeedsReauth || cause != integration.CauseAccessRevoked {
				t.Errorf("check %d after the kill: exit %d %s/%s (%s); want exit %d %s/%s",
					i+1, r.code, got, cause, r.stderr, cli.ExitAttention, integration.StatusNeedsReauth, integration.CauseAccessRevoked)
			}
			if n := sb.refreshCount(t) - before; n != wantRefreshes {
				t.Errorf("check %d after the kill made %d refresh requests; want %d", i+1, n, wantRefreshes)
			}
		}
		if got := sb.control(t, "counters", "")["refreshReuseDetected"]; got != 1.0 {
			t.Errorf("families revoked for reuse: got %v; want 1", got)
		}
		if r := relinkCLI(t, data, "", "reauth", "strict", "--json"); r.code != cli.ExitOK {
			t.Fatalf("reauth after the lost grant: exit %d %s; want %d", r.code, r.stderr, cli.ExitOK)
		}
		if got := whoamiStatus(t, sb, data, "strict"); got != http.StatusOK {
			t.Errorf("whoami after reauth: got %d; want %d", got, http.StatusOK)
		}
		sb.control(t, "reset", "")
	})
}

// addAuthorized adds a custom OAuth 2.0 integration against the sandbox
// and authorizes it through the headless browser.
func addAuthorized(t *testing.T, sb *sandbox, data, name string) {
	t.Helper()
	r := relinkCLI(t, data, "", "add", "custom-oauth2", "--name", name, "--set", "issuer="+sb.URL, "--set", "client_id=relink",
		"--set", "scopes=openid offline analytics.read", "--no-auth")
	if r.code != cli.ExitOK {
		t.Fatalf("add %s: exit %d %s; want %d", name, r.code, r.stderr, cli.ExitOK)
	}
	r = relinkCLI(t, data, "", "reauth", name, "--json")
	var v map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &v); r.code != cli.ExitOK || err != nil || v["status"] != string(integration.StatusConnected) {
		t.Fatalf("reauth %s: exit %d %v %s %s; want exit %d, connected", name, r.code, err, r.stdout, r.stderr, cli.ExitOK)
	}
}

// runningCheck is `relink check NAME` as a child process the test may kill.
type runningCheck struct {
	cmd            *exec.Cmd
	done           chan struct{}
	err            error // from Wait, once done is closed
	killed         bool
	stdout, stderr bytes.Buffer
}

func startCheck(t *testing.T, data, name string) *runningCheck {
	t.Helper()
	c := &runningCheck{done: make(chan struct{})}
	c.cmd = exec.Command(bins.relink, "--data-dir", data, "check", name)
	c.cmd.Env = append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL=")
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.err = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() { c.kill() })
	return c
}

// kill sends SIGKILL unless the process has exited already, waits for it,
// and reports whether the signal is what ended it.
func (c *runningCheck) kill() bool {
	select {
	case <-c.done:
		return c.killed
	default:
	}
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
	var ee *exec.ExitError
	if errors.As(c.err, &ee) {
		ws, ok := ee.Sys().(syscall.WaitStatus)
		c.killed = ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
	}
	return c.killed
}

// waitForRefresh polls the sandbox until a refresh request beyond before
// has arrived; false means the process exited first. The deadline is a
// safety net only.
func (c *runningCheck) waitForRefresh(t *testing.T, sb *sandbox, before int) bool {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for sb.refreshCount(t) <= before {
		select {
		case <-c.done:
			return sb.refreshCount(t) > before
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.kill() // before reading its output
			t.Fatalf("no refresh request within 20s of starting check; stderr %s", c.stderr.String())
		}
	}
	return true
}

// checkedStatus is the one status `relink check NAME --json` printed.
func checkedStatus(t *testing.T, r cliResult) (integration.Status, integration.Cause) {
	t.Helper()
	var views []struct {
		Status integration.Status `json:"status"`
		Cause  integration.Cause  `json:"cause"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &views); err != nil || len(views) != 1 {
		t.Fatalf("check --json printed %q (%v); want one integration", r.stdout, err)
	}
	return views[0].Status, views[0].Cause
}

// whoamiStatus asks the sandbox who the CLI's current access token belongs to.
func whoamiStatus(t *testing.T, sb *sandbox, data, name string) int {
	t.Helper()
	r := relinkCLI(t, data, "", "token", name)
	if r.code != cli.ExitOK {
		t.Fatalf("token %s: exit %d %s; want %d", name, r.code, r.stderr, cli.ExitOK)
	}
	return tokenStatus(t, sb, strings.TrimSpace(r.stdout))
}

// tokenStatus is the sandbox's answer to /whoami with an access token.
func tokenStatus(t *testing.T, sb *sandbox, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, sb.URL+"/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// assertIntegrity opens the database the killed processes wrote, as the
// next start would, and runs PRAGMA integrity_check.
func assertIntegrity(t *testing.T, data string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, store.DBFile))
	if err != nil {
		t.Fatalf("open the database after the faults: %v", err)
	}
	defer st.Close()
	if got, err := st.IntegrityCheck(ctx); err != nil || got != "ok" {
		t.Errorf("integrity_check after the faults: got %q, %v; want \"ok\"", got, err)
	}
}
