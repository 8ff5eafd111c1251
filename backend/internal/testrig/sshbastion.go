package testrig

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Bastion is a real SSH server (golang.org/x/crypto/ssh) on a loopback
// port that accepts one client key and forwards direct-tcpip channels,
// like a jump host in front of a database. Its host key can be rotated,
// as an admin does, without changing its address.
type Bastion struct {
	Host string
	Port int
	// ClientKey is the PEM private key the bastion accepts (generated per
	// test, never a fixture).
	ClientKey string

	ln        net.Listener
	clientPub ssh.PublicKey
	mu        sync.Mutex
	hostKey   ssh.Signer
}

// NewBastion starts a bastion; it stops when the test ends.
func NewBastion(t testing.TB) *Bastion {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &Bastion{ClientKey: string(pem.EncodeToMemory(block)), clientPub: signer.PublicKey(), ln: ln}
	b.Host = "127.0.0.1"
	b.Port = ln.Addr().(*net.TCPAddr).Port
	b.Rotate(t)
	t.Cleanup(func() { ln.Close() })
	go b.serve()
	return b
}

// Addr is host:port.
func (b *Bastion) Addr() string { return net.JoinHostPort(b.Host, strconv.Itoa(b.Port)) }

// Rotate gives the bastion a new host key and returns its fingerprint.
func (b *Bastion) Rotate(t testing.TB) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	b.hostKey = signer
	b.mu.Unlock()
	return b.Fingerprint()
}

// Fingerprint is the SHA256 fingerprint of the current host key.
func (b *Bastion) Fingerprint() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return ssh.FingerprintSHA256(b.hostKey.PublicKey())
}

// Stop closes the listener: the bastion becomes unreachable.
func (b *Bastion) Stop() { b.ln.Close() }

func (b *Bastion) config() *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if string(k.Marshal()) == string(b.clientPub.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("unknown key")
	}}
	b.mu.Lock()
	cfg.AddHostKey(b.hostKey)
	b.mu.Unlock()
	return cfg
}

func (b *Bastion) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		go b.handle(c)
	}
}

func (b *Bastion) handle(c net.Conn) {
	_, chans, reqs, err := ssh.NewServerConn(c, b.config())
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		var target struct {
			Host     string
			Port     uint32
			OrigHost string
			OrigPort uint32
		}
		if nc.ChannelType() != "direct-tcpip" || ssh.Unmarshal(nc.ExtraData(), &target) != nil {
			nc.Reject(ssh.Prohibited, "only direct-tcpip")
			continue
		}
		up, err := net.Dial("tcp", net.JoinHostPort(target.Host, strconv.Itoa(int(target.Port))))
		if err != nil {
			nc.Reject(ssh.ConnectionFailed, err.Error())
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			up.Close()
			continue
		}
		go ssh.DiscardRequests(creqs)
		go func() { io.Copy(ch, up); ch.Close() }()
		go func() { io.Copy(up, ch); up.Close() }()
	}
}
