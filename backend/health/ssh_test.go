package health

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"relink/backend/integration"
)

// bastion is a minimal SSH server that accepts one client key and
// forwards direct-tcpip channels, like a jump host.
func bastion(t *testing.T, clientKey ssh.PublicKey) (addr string, hostKey ssh.Signer) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	hostKey, _ = ssh.NewSignerFromKey(priv)
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if string(k.Marshal()) == string(clientKey.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("unknown key")
	}}
	cfg.AddHostKey(hostKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				_, chans, reqs, err := ssh.NewServerConn(c, cfg)
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
					ch, creqs, _ := nc.Accept()
					go ssh.DiscardRequests(creqs)
					go func() { io.Copy(ch, up); ch.Close() }()
					go func() { io.Copy(up, ch); up.Close() }()
				}
			}()
		}
	}()
	return ln.Addr().String(), hostKey
}

func clientKey(t *testing.T) (string, ssh.PublicKey) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(priv)
	return string(pem.EncodeToMemory(block)), signer.PublicKey()
}

func TestSSHHostKeyPinnedOnFirstUse(t *testing.T) {
	pemKey, pub := clientKey(t)
	addr, hostKey := bastion(t, pub)
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	cfg := SSHConfig{Host: host, Port: p, User: "relink", PrivateKey: pemKey}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	tun, err := DialSSH(ctx, cfg)
	if err != nil {
		t.Fatalf("first use: %v", err)
	}
	want := ssh.FingerprintSHA256(hostKey.PublicKey())
	if tun.SeenKey != want {
		t.Errorf("seen key got %s; want %s", tun.SeenKey, want)
	}
	tun.Close()

	cfg.KnownKey = want
	if tun, err = DialSSH(ctx, cfg); err != nil {
		t.Fatalf("pinned key: %v", err)
	}
	tun.Close()

	cfg.KnownKey = "SHA256:someotherkeyfingerprint"
	_, err = DialSSH(ctx, cfg)
	var p2 *integration.Problem
	if !errors.Is(err, ErrHostKeyChanged) || !errors.As(err, &p2) || p2.Params["old"] != cfg.KnownKey || p2.Params["new"] != want {
		t.Fatalf("changed key: got %v; want ErrHostKeyChanged with old and new", err)
	}
	if v := Classify(Observation{Err: err}); v.Problem == nil || v.Problem.Code != "problem.ssh_host_key_changed" || v.Status == integration.StatusConnected {
		t.Errorf("classified as %+v", v)
	}
}

func TestPostgresThroughSSHTunnel(t *testing.T) {
	r := dbEnv(t, "PG", "postgres")
	pemKey, pub := clientKey(t)
	addr, _ := bastion(t, pub)
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	r.SSH = &SSHConfig{Host: host, Port: p, User: "relink", PrivateKey: pemKey}
	o := ProbeDB(context.Background(), r)
	if v := Classify(o); v.Status != integration.StatusConnected || o.SSHHostKey == "" {
		t.Fatalf("got %v (%v, %s); want connected through the tunnel with the key seen", v, o.Err, o.DBCode)
	}

}
