// Package secrets keeps Relink's secrets in the OS keychain through
// github.com/zalando/go-keyring (Secret Service on Linux, Keychain on
// macOS, Credential Manager on Windows). There is no plaintext fallback:
// when the keychain cannot be used, callers get a distinct error and
// nothing is written anywhere else.
//
// Items are stored under one service name with the key
// "<integration-id>/<slot>". Values larger than ChunkThreshold (macOS caps
// items near 3 KB and Windows at 2,560 bytes) are split: the main item
// holds a manifest "relink-chunked:v1:<n>:<sha256>" and the parts live at
// "<key>#<gen>.1".."<key>#<gen>.<n>", where gen is the first 12 hex digits
// of the sha256. Reads verify the hash, so a missing or damaged part is an
// error, never a partial secret.
//
// An overwrite never touches the parts the current manifest names: the new
// parts go under the new value's generation, then the manifest switches to
// them in one write, then the old generation is deleted. A failure or a
// kill before the switch leaves the old value readable, after it the new
// one.
package secrets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zalando/go-keyring"

	"relink/backend/integration"
)

// Sentinel errors. Each error returned also carries an
// *integration.Problem for the user (errors.As).
var (
	ErrNotFound    = errors.New("secret not found")
	ErrUnavailable = errors.New("keychain unavailable")
	ErrLocked      = errors.New("keychain locked")
	ErrTooLarge    = errors.New("secret too large")
	ErrTimeout     = errors.New("keychain did not answer in time")
	ErrCorrupt     = errors.New("stored secret is incomplete")
)

var problemCodes = map[error]string{
	ErrNotFound:    "error.secret_not_found",
	ErrUnavailable: "error.keychain_unavailable",
	ErrLocked:      "error.keychain_locked",
	ErrTooLarge:    "error.secret_too_large",
	ErrTimeout:     "error.keychain_timeout",
	ErrCorrupt:     "error.secret_corrupt",
}

// Error is a keychain failure: errors.Is matches its sentinel, errors.As
// yields its Problem. It never contains the secret value.
type Error struct {
	Op       string
	Key      string
	Sentinel error
	Cause    error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("keychain %s %s: %v", e.Op, e.Key, e.Sentinel)
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

func (e *Error) Is(target error) bool { return target == e.Sentinel }
func (e *Error) Unwrap() error        { return e.Cause }

func (e *Error) As(target any) bool {
	if p, ok := target.(**integration.Problem); ok {
		*p = integration.NewProblem(problemCodes[e.Sentinel])
		return true
	}
	return false
}

const (
	// ChunkThreshold is the largest value stored as one item.
	ChunkThreshold = 2500
	chunkSize      = 2000
	// MaxValue bounds what Relink stores at all.
	MaxValue       = 64 << 10
	manifestPrefix = "relink-chunked:v1:"
	// DefaultTimeout bounds every keychain call: an unlock prompt can
	// otherwise block forever.
	DefaultTimeout = 5 * time.Second
	// TurnWait bounds the wait for the keychain while other operations,
	// of this process or another Relink process, use it.
	TurnWait = 30 * time.Second
)

// Slots are the names of an integration's keychain items: the one list
// the token manager, the services and the diagnostics bundle use.
const (
	SlotRefresh      = "refresh_token"
	SlotAccess       = "access_token"
	SlotAPIKey       = "api_key"
	SlotPassword     = "password"
	SlotClientSecret = "client_secret"
	SlotSSHKey       = "ssh_key"
)

// Slots every integration may use; DeleteAll removes them all.
var Slots = []string{SlotRefresh, SlotAccess, SlotAPIKey, SlotPassword, SlotClientSecret, SlotSSHKey}

// Backend is the raw keychain (go-keyring's API).
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// Prober tells whether the keychain can be used right now, so a locked
// keyring is reported instead of raising an unlock prompt that blocks.
type Prober interface {
	Probe(ctx context.Context) error
}

type goKeyring struct{}

func (goKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (goKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (goKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

// Turn is held by one process at a time while it talks to the keychain.
type Turn interface {
	// Take waits for the turn until ctx ends; release gives it back.
	Take(ctx context.Context) (release func(), err error)
}

// Keychain is the secret store. Build one per process: it runs one
// keychain operation at a time (see call).
type Keychain struct {
	service string
	timeout time.Duration
	backend Backend
	prober  Prober
	// turn is held by the operation talking to the keychain now;
	// session, when set, by the process doing so among all of the user's.
	turn    chan struct{}
	session Turn
	// wait bounds the wait for both turns (TurnWait).
	wait time.Duration
	// busySince is when the running operation started (UnixNano, 0: none).
	busySince atomic.Int64
}

// New returns a Keychain over the OS keychain.
func New(service string, timeout time.Duration) *Keychain {
	k := NewWithBackend(service, timeout, goKeyring{}, platformProber())
	k.session = platformTurn()
	return k
}

// NewWithBackend is New with the keychain and probe supplied (tests, fault
// injection). prober may be nil.
func NewWithBackend(service string, timeout time.Duration, b Backend, p Prober) *Keychain {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Keychain{service: service, timeout: timeout, wait: TurnWait, backend: b, prober: p, turn: make(chan struct{}, 1)}
}

func key(id, slot string) string { return id + "/" + slot }

// call runs one keychain operation bounded by the timeout and ctx.
//
// Operations run one at a time, the probe included, in this process and,
// through the session turn, among all of the user's Relink processes: the
// Secret Service (gnome-keyring 42 to 50) aborts or drops off the bus when
// sessions are opened concurrently (gnome-keyring #190, #196), and the
// daemon D-Bus starts instead has its login keyring locked, so every check
// after a concurrent "Check all" would fail as "locked" until the user
// unlocks it.
//
// Waiting for the turn is bounded by TurnWait, the operation itself by the
// timeout: another Relink process busy with a sweep is no reason to say
// the keychain does not answer. The goroutine may outlive the call when
// the keychain hangs; it keeps the turn until the keychain answers, and
// while it is overdue later calls of this process wait only the timeout
// for it rather than pile up behind it.
func (k *Keychain) call(ctx context.Context, op, key string, f func() (string, error)) (string, error) {
	timeout := func(cause error) (string, error) {
		return "", &Error{Op: op, Key: key, Sentinel: ErrTimeout, Cause: cause}
	}
	// Behind a call the keychain has not answered in time, wait only as
	// long as for an answer: it is the keychain that is slow, not a turn.
	waitFor, waitErr := k.wait, error(nil)
	if since := k.busySince.Load(); since != 0 && time.Since(time.Unix(0, since)) > k.timeout {
		waitFor, waitErr = k.timeout, errOverdue
	}
	wait, cancelWait := context.WithTimeout(ctx, waitFor)
	defer cancelWait()
	waited := func() (string, error) {
		if waitErr != nil && ctx.Err() == nil {
			return timeout(waitErr)
		}
		return timeout(wait.Err())
	}
	select {
	case k.turn <- struct{}{}:
	case <-wait.Done():
		return waited()
	}
	type res struct {
		v   string
		err error
	}
	ch := make(chan res, 1)
	started := make(chan struct{})
	go func() {
		defer func() { <-k.turn }()
		if k.session != nil {
			release, err := k.session.Take(wait)
			if err != nil {
				ch <- res{err: err}
				return
			}
			defer release()
		}
		k.busySince.Store(time.Now().UnixNano())
		defer k.busySince.Store(0)
		close(started)
		if k.prober != nil {
			pctx, cancel := context.WithTimeout(ctx, k.timeout)
			defer cancel()
			if err := k.prober.Probe(pctx); err != nil {
				ch <- res{err: err}
				return
			}
		}
		v, err := f()
		ch <- res{v, err}
	}()
	result := func(r res) (string, error) {
		if r.err != nil {
			return "", k.wrap(op, key, r.err)
		}
		return r.v, nil
	}
	select {
	case <-started:
	case r := <-ch: // the turn could not be had, or all is done already
		return result(r)
	case <-wait.Done():
		return waited()
	}
	opCtx, cancelOp := context.WithTimeout(ctx, k.timeout)
	defer cancelOp()
	select {
	case r := <-ch:
		return result(r)
	case <-opCtx.Done():
		return timeout(opCtx.Err())
	}
}

// errOverdue is why a call timed out waiting for its turn: the one before
// it was still waiting for the keychain past its timeout.
var errOverdue = errors.New("an earlier keychain call has not returned")

func (k *Keychain) wrap(op, key string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &Error{Op: op, Key: key, Sentinel: ErrTimeout, Cause: err}
	}
	for _, s := range []error{ErrNotFound, ErrUnavailable, ErrLocked, ErrTooLarge, ErrTimeout, ErrCorrupt} {
		if errors.Is(err, s) {
			return &Error{Op: op, Key: key, Sentinel: s}
		}
	}
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return &Error{Op: op, Key: key, Sentinel: ErrNotFound}
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return &Error{Op: op, Key: key, Sentinel: ErrTooLarge}
	case errors.Is(err, keyring.ErrUnsupportedPlatform):
		return &Error{Op: op, Key: key, Sentinel: ErrUnavailable, Cause: err}
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "locked") || strings.Contains(msg, "dismissed") || strings.Contains(msg, "unlock"):
		return &Error{Op: op, Key: key, Sentinel: ErrLocked, Cause: err}
	case strings.Contains(msg, "dbus") || strings.Contains(msg, "d-bus") || strings.Contains(msg, "secrets") ||
		strings.Contains(msg, "no such file") || strings.Contains(msg, "connection refused"):
		return &Error{Op: op, Key: key, Sentinel: ErrUnavailable, Cause: err}
	}
	return &Error{Op: op, Key: key, Sentinel: ErrUnavailable, Cause: err}
}

// Get returns the secret in slot of integration id.
func (k *Keychain) Get(ctx context.Context, id, slot string) (string, error) {
	kk := key(id, slot)
	v, err := k.call(ctx, "get", kk, func() (string, error) { return k.backend.Get(k.service, kk) })
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(v, manifestPrefix) {
		return v, nil
	}
	n, sum, ok := parseManifest(v)
	if !ok {
		return "", &Error{Op: "get", Key: kk, Sentinel: ErrCorrupt}
	}
	var b strings.Builder
	for i := 1; i <= n; i++ {
		ck := partKey(kk, generation(sum), i)
		part, err := k.call(ctx, "get", ck, func() (string, error) { return k.backend.Get(k.service, ck) })
		if errors.Is(err, ErrNotFound) {
			return "", &Error{Op: "get", Key: kk, Sentinel: ErrCorrupt}
		}
		if err != nil {
			return "", err
		}
		b.WriteString(part)
	}
	if digest(b.String()) != sum {
		return "", &Error{Op: "get", Key: kk, Sentinel: ErrCorrupt}
	}
	return b.String(), nil
}

func digest(v string) string {
	h := sha256.Sum256([]byte(v))
	return hex.EncodeToString(h[:])
}

// generation names the parts of the value whose digest is sum. Two values
// share one only if they are equal (barring a 48-bit collision), so a new
// value's parts never overwrite the old value's.
func generation(sum string) string { return sum[:12] }

func partKey(kk, gen string, i int) string { return kk + "#" + gen + "." + strconv.Itoa(i) }

func parseManifest(v string) (int, string, bool) {
	parts := strings.Split(strings.TrimPrefix(v, manifestPrefix), ":")
	if len(parts) != 2 || len(parts[1]) != 2*sha256.Size {
		return 0, "", false
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 1 || n > MaxValue/chunkSize+1 {
		return 0, "", false
	}
	return n, parts[1], true
}

// Set stores value in slot of integration id, replacing what was there.
// On error the previous value is still readable.
func (k *Keychain) Set(ctx context.Context, id, slot, value string) error {
	kk := key(id, slot)
	if len(value) > MaxValue {
		return &Error{Op: "set", Key: kk, Sentinel: ErrTooLarge}
	}
	oldGen, oldParts, err := k.parts(ctx, kk)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	set := func(key, v string) error {
		_, err := k.call(ctx, "set", key, func() (string, error) { return "", k.backend.Set(k.service, key, v) })
		return err
	}
	gen, item := "", value
	if len(value) > ChunkThreshold || strings.HasPrefix(value, manifestPrefix) {
		sum := digest(value)
		gen = generation(sum)
		n := 0
		for ; n*chunkSize < len(value); n++ {
			end := min((n+1)*chunkSize, len(value))
			if err := set(partKey(kk, gen, n+1), value[n*chunkSize:end]); err != nil {
				// Nothing refers to these parts yet; when the value is
				// unchanged they are the current ones and must stay.
				if gen != oldGen {
					k.deleteParts(ctx, kk, gen, n+1)
				}
				return err
			}
		}
		item = manifestPrefix + strconv.Itoa(n) + ":" + sum
	}
	// The single switch from the old value to the new one. When it fails
	// the new parts stay: a write that timed out may still land, and a
	// manifest whose parts were taken back would lose both values.
	if err := set(kk, item); err != nil {
		return err
	}
	if gen != oldGen {
		// Best effort: a part left behind is unreachable, never read.
		k.deleteParts(ctx, kk, oldGen, oldParts)
	}
	return nil
}

// parts reads the item at kk and returns the generation and number of
// parts its manifest names (none for a plain value).
func (k *Keychain) parts(ctx context.Context, kk string) (gen string, n int, err error) {
	v, err := k.call(ctx, "get", kk, func() (string, error) { return k.backend.Get(k.service, kk) })
	if err != nil || !strings.HasPrefix(v, manifestPrefix) {
		return "", 0, err
	}
	n, sum, ok := parseManifest(v)
	if !ok {
		return "", 0, nil
	}
	return generation(sum), n, nil
}

// deleteParts removes parts 1..n of generation gen, ignoring failures.
func (k *Keychain) deleteParts(ctx context.Context, kk, gen string, n int) {
	for i := 1; i <= n; i++ {
		ck := partKey(kk, gen, i)
		k.call(ctx, "delete", ck, func() (string, error) { return "", k.backend.Delete(k.service, ck) })
	}
}

// Delete removes slot of integration id (and its parts). A missing item is
// ErrNotFound.
func (k *Keychain) Delete(ctx context.Context, id, slot string) error {
	kk := key(id, slot)
	gen, n, err := k.parts(ctx, kk)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	// The manifest first: a failure after it leaves unreachable parts,
	// never a manifest whose parts are gone.
	_, err = k.call(ctx, "delete", kk, func() (string, error) { return "", k.backend.Delete(k.service, kk) })
	if err == nil {
		k.deleteParts(ctx, kk, gen, n)
	}
	return err
}

// DeleteAll removes every slot of integration id; missing items are fine.
func (k *Keychain) DeleteAll(ctx context.Context, id string) error {
	for _, slot := range Slots {
		if err := k.Delete(ctx, id, slot); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("delete secrets of %s: %w", id, err)
		}
	}
	return nil
}

// Probe checks that the keychain is usable now.
func (k *Keychain) Probe(ctx context.Context) error {
	if k.prober == nil {
		return nil
	}
	_, err := k.call(ctx, "probe", "", func() (string, error) { return "", nil })
	return err
}
