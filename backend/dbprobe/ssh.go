package dbprobe

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"relink/backend/health"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"relink/backend/integration"
)

// Tunnel is an open SSH connection that dials through the bastion.
type Tunnel struct {
	client *ssh.Client
	// SeenKey is the bastion's fingerprint, for the caller to pin.
	SeenKey string
}

// DialSSH connects to the bastion, pinning its host key on first use.
func DialSSH(ctx context.Context, c health.SSHConfig) (*Tunnel, error) {
	signer, err := ssh.ParsePrivateKey([]byte(c.PrivateKey))
	if err != nil {
		return nil, integration.NewError(health.ErrCredentialMissing, nil, "problem.ssh_key_invalid")
	}
	t := &Tunnel{}
	sc, chans, reqs, err := handshake(ctx, c, []ssh.AuthMethod{ssh.PublicKeys(signer)}, func(key ssh.PublicKey) error {
		t.SeenKey = ssh.FingerprintSHA256(key)
		if c.KnownKey != "" && subtle.ConstantTimeCompare([]byte(c.KnownKey), []byte(t.SeenKey)) != 1 {
			return integration.NewError(health.ErrHostKeyChanged, nil, "problem.ssh_host_key_changed", "old", c.KnownKey, "new", t.SeenKey)
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
func ScanHostKey(ctx context.Context, c health.SSHConfig) (string, error) {
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
func handshake(ctx context.Context, c health.SSHConfig, auth []ssh.AuthMethod, check func(ssh.PublicKey) error) (ssh.Conn, <-chan ssh.NewChannel, <-chan *ssh.Request, error) {
	addr := c.Addr()
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
		return nil, nil, nil, integration.NewError(health.ErrSSHUnreachable, err, "problem.ssh_unreachable", "host", addr)
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
		case errors.Is(err, health.ErrHostKeyChanged) && errors.As(err, &p):
			// Rebuilt: the ssh package's wrapping adds nothing the user needs.
			return nil, nil, nil, integration.NewError(health.ErrHostKeyChanged, nil, p.Code, "old", p.Params["old"], "new", p.Params["new"])
		case !keySeen && c.KnownKey == "":
			return nil, nil, nil, integration.NewError(health.ErrHostKeyNotEnrolled, err, "problem.ssh_host_key_not_enrolled", "host", addr)
		case keySeen && strings.Contains(err.Error(), "unable to authenticate"):
			return nil, nil, nil, integration.NewError(health.ErrSSHAuth, err, "problem.ssh_auth_failed", "host", addr, "user", c.User)
		}
		return nil, nil, nil, integration.NewError(health.ErrSSHHandshake, err, "problem.ssh_handshake_failed", "host", addr)
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
