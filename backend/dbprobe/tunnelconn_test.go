package dbprobe

import (
	"context"
	"errors"
	"net"
	"os"
	"relink/backend/health"
	"testing"
	"time"

	"relink/backend/integration"
	"relink/backend/internal/testrig"
)

// TestDeadlineConn: through an SSH channel, which has no deadlines, a
// read past the driver's deadline fails as a timeout instead of hanging.
func TestDeadlineConn(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	c := &deadlineConn{Conn: a}
	if err := c.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("Read past the deadline = %v; want a timeout", err)
	}
	if v := health.Classify(health.Observation{Err: err}); v.Problem == nil || v.Problem.Code != "problem.timeout" {
		t.Errorf("health.Classify = %+v; want problem.timeout", v)
	}
}

// TestMySQLThroughSSHTunnel: the MySQL driver sets a deadline on every
// read; through a bastion that failed ("ssh: tcpChan: deadline not
// supported") as an app problem, and Commerce Intelligence recommends the
// SSH tunnel for every MySQL store (Adobe Commerce, WooCommerce,
// PrestaShop).
func TestMySQLThroughSSHTunnel(t *testing.T) {
	r := dbEnv(t, "MYSQL", "mysql")
	r.Tables = []string{r.Database + ".orders"}
	cfg := bastionConfig(testrig.NewBastion(t))
	r.SSH = &cfg
	o := ProbeDB(context.Background(), r)
	if v := health.Classify(o); v.Status != integration.StatusConnected {
		t.Fatalf("got %+v (%v, %s); want connected through the tunnel", v, o.Err, o.DBCode)
	}
}
