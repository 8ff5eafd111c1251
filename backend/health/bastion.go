package health

import (
	"errors"
	"net"
	"strconv"
	"strings"

	"relink/backend/integration"
)

// SSHConfig is an optional bastion in front of a database.
type SSHConfig struct {
	Host       string
	Port       int
	User       string
	PrivateKey string `json:"-"` // PEM, from the keychain
	// KnownKey is the SHA256 fingerprint pinned on first use ("" = none
	// yet). A different key is never accepted silently.
	KnownKey string
}

// String keeps the private key out of logs and error text.
func (c SSHConfig) String() string { return c.User + "@" + c.Addr() }

// Addr is the bastion's host:port (port 22 unless set).
func (c SSHConfig) Addr() string {
	port := c.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
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
	errors.As(err, &p)
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
