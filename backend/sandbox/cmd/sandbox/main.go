// Command sandbox runs Relink's sandbox OAuth 2.0 provider on loopback.
// The first line on stdout is its base URL (the issuer), so a script or a
// test can start it on port 0 and read where it landed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"relink/backend/sandbox/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback; port 0 picks a free one)")
	addrFile := fs.String("addr-file", "", "also write the base URL to this file")
	user := fs.String("user", server.DefaultUser, "the account the headless login approves as")
	accessTTL := fs.Duration("access-ttl", time.Hour, "access token lifetime")
	refreshTTL := fs.Duration("refresh-ttl", 30*24*time.Hour, "refresh token lifetime")
	exact := fs.Bool("exact-redirect", false, "match redirect_uri exactly, port included (no RFC 8252 any-port loopback)")
	var redirects redirectList
	fs.Var(&redirects, "redirect-uri", "a registered redirect URI of every client (repeatable; default: loopback IP literals)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()
	opts := server.Options{Issuer: base, User: *user, AccessTTL: *accessTTL, RefreshTTL: *refreshTTL, ExactRedirect: *exact}
	if len(redirects) > 0 {
		opts.Clients = []server.Client{
			{ID: server.PublicClient, RedirectURIs: redirects},
			{ID: server.ConfidentialClient, Secret: server.ConfidentialSecret, RedirectURIs: redirects},
		}
	}
	s, err := server.New(opts)
	if err != nil {
		return err
	}
	if *addrFile != "" {
		if err := writeAtomically(*addrFile, base+"\n"); err != nil {
			return fmt.Errorf("write address file: %w", err)
		}
	}
	if _, err := fmt.Fprintln(stdout, base); err != nil {
		return fmt.Errorf("print address: %w", err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// redirectList collects repeated -redirect-uri flags.
type redirectList []string

func (l *redirectList) String() string     { return strings.Join(*l, " ") }
func (l *redirectList) Set(v string) error { *l = append(*l, v); return nil }

// writeAtomically renames a finished file into place, so a script polling
// for a non-empty file never reads half a URL.
func writeAtomically(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
