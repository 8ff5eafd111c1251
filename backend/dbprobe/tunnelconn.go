package dbprobe

import (
	"context"
	"net"
	"os"
	"sync"
	"time"
)

// tunnelDial dials through the bastion with deadlines the drivers can set.
func tunnelDial(t *Tunnel) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := t.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &deadlineConn{Conn: c}, nil
	}
}

// deadlineConn gives a connection without deadlines (an SSH channel:
// "ssh: tcpChan: deadline not supported") the deadlines database drivers
// set before reads and writes (MySQL and MongoDB fail without them): when
// one passes the connection is closed and the blocked call fails as a
// timeout. Reads and writes take turns on a driver connection, so one
// deadline serves both.
type deadlineConn struct {
	net.Conn
	mu      sync.Mutex
	timer   *time.Timer
	expired bool
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.expired = false
	if !t.IsZero() {
		c.timer = time.AfterFunc(time.Until(t), func() {
			c.mu.Lock()
			c.expired = true
			c.mu.Unlock()
			c.Conn.Close()
		})
	}
	return nil
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error  { return c.SetDeadline(t) }
func (c *deadlineConn) SetWriteDeadline(t time.Time) error { return c.SetDeadline(t) }

func (c *deadlineConn) Read(b []byte) (int, error)  { return c.timedOut(c.Conn.Read(b)) }
func (c *deadlineConn) Write(b []byte) (int, error) { return c.timedOut(c.Conn.Write(b)) }

func (c *deadlineConn) timedOut(n int, err error) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil && c.expired {
		return n, os.ErrDeadlineExceeded
	}
	return n, err
}
