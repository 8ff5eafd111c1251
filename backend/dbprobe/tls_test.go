package dbprobe

import (
	"context"
	"io"
	"net"
	"relink/backend/health"
	"testing"

	"relink/backend/integration"
)

// TestTLSRequiredAgainstServerWithoutTLS: tls_mode=require against a
// PostgreSQL server that declines TLS was "Relink problem"; it is a
// setting to change on one side.
func TestTLSRequiredAgainstServerWithoutTLS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// A server without TLS answers the SSLRequest with 'N'.
			var req [8]byte
			io.ReadFull(c, req[:])
			c.Write([]byte{'N'})
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	o := ProbeDB(context.Background(), health.DBRequest{Engine: "postgres", Host: "127.0.0.1", Port: port, Database: "d", User: "u", Password: "p", TLSMode: "require"})
	got := health.Classify(o)
	if got.Status != integration.StatusError || got.Cause != integration.CauseLocalProblem || got.Problem.Code != "problem.tls_not_offered" {
		t.Errorf("health.Classify(%v) = %s/%s %v; want error/local_problem problem.tls_not_offered", o.Err, got.Status, got.Cause, got.Problem)
	}
}
