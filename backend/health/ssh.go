package health

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"relink/backend/integration"
)

// SSHConfig is an optional bastion in front of a database.
type SSHConfig struct {
	Host       string
	Port       int
	User       string
	PrivateKey string // PEM, from the keychain
	// KnownKey is the SHA256 fingerprint pinned on first use ("" = none
	// yet). A different key is never accepted silently.
	KnownKey string
}

func (c SSHConfig) addr() string {
	port := c.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
}

// Tunnel is an open SSH connection that dials through the bastion.
type Tunnel struct {
	client *ssh.Client
	// SeenKey is the bastion's fingerprint, for the caller to pin.
	SeenKey string
}

// The bastion's failures, told apart the way Commerce Intelligence's
// connection statuses tell them apart ("SSH host key verification
// failed", "SSH host keys could not be enrolled", an unreachable bastion):
// https://experienceleague.adobe.com/en/docs/commerce-business-intelligence/mbi/data-analyst/importing-data/integrations/ssh-host-key-verification
var (
	// ErrSSHUnreachable: no TCP connection to the bastion.
	ErrSSHUnreachable = errors.New("SSH bastion unreachable")
	// ErrHostKeyNotEnrolled: the bastion answered but never showed a host
	// key to pin (not an SSH server, or the handshake broke first).
	ErrHostKeyNotEnrolled = errors.New("SSH host key could not be enrolled")
	// ErrSSHHandshake: the pinned key matched but the SSH handshake failed
	// for another reason than authentication.
	ErrSSHHandshake = errors.New("SSH handshake failed")
	// ErrSSHAuth: the bastion refused the user's key.
	ErrSSHAuth = errors.New("SSH authentication failed")
)

// DialSSH connects to the bastion, pinning its host key on first use.
func DialSSH(ctx context.Context, c SSHConfig) (*Tunnel, error) {
	signer, err := ssh.ParsePrivateKey([]byte(c.PrivateKey))
	if err != nil {
		return nil, integration.NewError(ErrCredentialMissing, nil, "problem.ssh_key_invalid")
	}
	t := &Tunnel{}
	sc, chans, reqs, err := handshake(ctx, c, []ssh.AuthMethod{ssh.PublicKeys(signer)}, func(key ssh.PublicKey) error {
		t.SeenKey = ssh.FingerprintSHA256(key)
		if c.KnownKey != "" && subtle.ConstantTimeCompare([]byte(c.KnownKey), []byte(t.SeenKey)) != 1 {
			return integration.NewError(ErrHostKeyChanged, nil, "problem.ssh_host_key_changed", "old", c.KnownKey, "new", t.SeenKey)
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	t.client = ssh.NewClient(sc, chans, reqs)
	return t, nil
}

// errScanned ends a scan's handshake once the host key is known.
var errScanned = errors.New("host key scanned")

// ScanHostKey returns the SHA256 fingerprint of the key the bastion
// presents now, without authenticating: what a user is asked to accept is
// what the bastion really shows at that moment.
func ScanHostKey(ctx context.Context, c SSHConfig) (string, error) {
	seen := ""
	_, _, _, err := handshake(ctx, c, nil, func(key ssh.PublicKey) error {
		seen = ssh.FingerprintSHA256(key)
		return errScanned
	})
	if seen != "" {
		return seen, nil
	}
	return "", err
}

// handshake dials the bastion and runs the SSH handshake; check sees the
// host key. Failures come back as one of the bastion's distinct problems.
func handshake(ctx context.Context, c SSHConfig, auth []ssh.AuthMethod, check func(ssh.PublicKey) error) (ssh.Conn, <-chan ssh.NewChannel, <-chan *ssh.Request, error) {
	addr := c.addr()
	keySeen := false
	cfg := &ssh.ClientConfig{
		User: c.User,
		Auth: auth,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			keySeen = true
			return check(key)
		},
		Timeout: 15 * time.Second,
	}
	d := net.Dialer{Timeout: 15 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, nil, integration.NewError(ErrSSHUnreachable, err, "problem.ssh_unreachable", "host", addr)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		var p *integration.Problem
		switch {
		case errors.Is(err, errScanned):
			return nil, nil, nil, err
		case errors.Is(err, ErrHostKeyChanged) && errors.As(err, &p):
			// Rebuilt: the ssh package's wrapping adds nothing the user needs.
			return nil, nil, nil, integration.NewError(ErrHostKeyChanged, nil, p.Code, "old", p.Params["old"], "new", p.Params["new"])
		case !keySeen && c.KnownKey == "":
			return nil, nil, nil, integration.NewError(ErrHostKeyNotEnrolled, err, "problem.ssh_host_key_not_enrolled", "host", addr)
		case keySeen && strings.Contains(err.Error(), "unable to authenticate"):
			return nil, nil, nil, integration.NewError(ErrSSHAuth, err, "problem.ssh_auth_failed", "host", addr, "user", c.User)
		}
		return nil, nil, nil, integration.NewError(ErrSSHHandshake, err, "problem.ssh_handshake_failed", "host", addr)
	}
	conn.SetDeadline(time.Time{})
	return sc, chans, reqs, nil
}

// DialContext opens a connection to addr from the bastion.
func (t *Tunnel) DialContext(ctx context.Context, _, addr string) (net.Conn, error) {
	return t.client.DialContext(ctx, "tcp", addr)
}

// Close ends the tunnel.
func (t *Tunnel) Close() error {
	if t.client == nil {
		return nil
	}
	return t.client.Close()
}

// ValidFingerprint reports whether s looks like an OpenSSH SHA256
// fingerprint ("SHA256:" and 43 unpadded base64 characters).
func ValidFingerprint(s string) bool {
	rest, ok := strings.CutPrefix(s, "SHA256:")
	if !ok || len(rest) != 43 {
		return false
	}
	for _, r := range rest {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/') {
			return false
		}
	}
	return true
}

// sshVerdict classifies the bastion's failures.
func sshVerdict(err error) (Verdict, bool) {
	var p *integration.Problem
	if !errors.As(err, &p) {
		p = nil
	}
	switch {
	case errors.Is(err, ErrHostKeyChanged):
		if p == nil {
			p = integration.NewProblem("problem.ssh_host_key_changed")
		}
		// Not transient and not local: someone changed the bastion (or is
		// in the middle); only the user's explicit acceptance repairs it.
		// No cause: which of the two it is, is what the user must find out.
		return Verdict{Status: integration.StatusNeedsReauth, Problem: p}, true
	case errors.Is(err, ErrSSHAuth):
		return Verdict{Status: integration.StatusNeedsReauth, Cause: integration.CauseAccountChange, Problem: p}, true
	case errors.Is(err, ErrHostKeyNotEnrolled), errors.Is(err, ErrSSHHandshake):
		return Verdict{Status: integration.StatusError, Cause: integration.CauseProviderIssue, Problem: p}, true
	case errors.Is(err, ErrSSHUnreachable):
		// The network error underneath says whose problem it is (DNS or no
		// route: this computer; refused: the bastion); the message names
		// the bastion, not the database behind it.
		inner := classifyErr(Observation{Err: errors.Unwrap(err)})
		return Verdict{Status: inner.Status, Cause: inner.Cause, Problem: p}, true
	}
	return Verdict{}, false
}
