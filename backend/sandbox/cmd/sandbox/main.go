// Command sandbox runs Relink's sandbox OAuth 2.0 provider on loopback.
// The first line on stdout is its base URL (the issuer).
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"relink/backend/sandbox/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	user := flag.String("user", "ana@example.com", "the account the headless login approves as")
	accessTTL := flag.Duration("access-ttl", time.Hour, "access token lifetime")
	refreshTTL := flag.Duration("refresh-ttl", 30*24*time.Hour, "refresh token lifetime")
	addrFile := flag.String("addr-file", "", "also write the base URL to this file")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
	base := "http://" + ln.Addr().String()
	s, err := server.New(server.Options{Issuer: base, User: *user, AccessTTL: *accessTTL, RefreshTTL: *refreshTTL})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
	fmt.Println(base)
	if *addrFile != "" {
		os.WriteFile(*addrFile, []byte(base+"\n"), 0o644)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}
