package health

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"strconv"
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

// Tunnel is an open SSH connection that dials through the bastion.
type Tunnel struct {
	client *ssh.Client
	// SeenKey is the bastion's fingerprint, for the caller to pin.
	SeenKey string
}

// DialSSH connects to the bastion, pinning its host key on first use.
func DialSSH(ctx context.Context, c SSHConfig) (*Tunnel, error) {
	signer, err := ssh.ParsePrivateKey([]byte(c.PrivateKey))
	if err != nil {
		return nil, integration.NewError(ErrCredentialMissing, nil, "problem.ssh_key_invalid")
	}
	t := &Tunnel{}
	cfg := &ssh.ClientConfig{
		User: c.User,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			t.SeenKey = ssh.FingerprintSHA256(key)
			if c.KnownKey != "" && subtle.ConstantTimeCompare([]byte(c.KnownKey), []byte(t.SeenKey)) != 1 {
				return integration.NewError(ErrHostKeyChanged, nil, "problem.ssh_host_key_changed", "old", c.KnownKey, "new", t.SeenKey)
			}
			return nil
		},
		Timeout: 15 * time.Second,
	}
	port := c.Port
	if port == 0 {
		port = 22
	}
	addr := net.JoinHostPort(c.Host, strconv.Itoa(port))
	d := net.Dialer{Timeout: 15 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		if errors.Is(err, ErrHostKeyChanged) {
			var p *integration.Problem
			errors.As(err, &p)
			return t, integration.NewError(ErrHostKeyChanged, nil, p.Code, "old", p.Params["old"], "new", p.Params["new"])
		}
		return t, fmt.Errorf("ssh %s: %w", addr, err)
	}
	conn.SetDeadline(time.Time{})
	t.client = ssh.NewClient(sc, chans, reqs)
	return t, nil
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
