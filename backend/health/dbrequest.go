package health

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// DBRequest is a database probe, filled from the integration's settings
// and the password from the keychain. It crosses to the database helper
// process on its standard input only.
type DBRequest struct {
	Engine   string // postgres, mysql, sqlserver, mongodb
	Host     string
	Port     int
	Database string
	User     string
	Password string `json:"-"`
	TLSMode  string // disable, prefer, require, verify-full
	// CAFile is a PEM bundle that verify-full checks the server against
	// instead of the system roots (Amazon RDS's global-bundle.pem).
	CAFile string
	Schema string
	// Tables are the tables (MongoDB: database.collection) to check.
	Tables []string
	// AuthSource and AuthMechanism are MongoDB's (default admin and the
	// driver's negotiation).
	AuthSource, AuthMechanism string
	// SSH, when set, reaches the database through a bastion.
	SSH *SSHConfig
}

// String keeps the password out of logs and error text.
func (r DBRequest) String() string {
	return fmt.Sprintf("%s://%s@%s/%s", r.Engine, r.User, net.JoinHostPort(r.Host, strconv.Itoa(r.Port)), r.Database)
}

// QualifiedTables are the tables to check, each with the schema unless
// it names one itself.
func (r DBRequest) QualifiedTables() []string {
	var out []string
	for _, t := range r.Tables {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if r.Schema != "" && !strings.Contains(t, ".") {
			t = r.Schema + "." + t
		}
		out = append(out, t)
	}
	return out
}

// MongoCodePrefix keeps MongoDB's small error numbers apart from MySQL's
// and SQL Server's in Observation.DBCode.
const MongoCodePrefix = "mongodb:"

// ClassifiedError is an error classified where it happened: in the
// database helper process, whose drivers' error types do not cross the
// pipe. Its verdict is the one that process's Classify gave, so a check
// says the same whichever process ran it.
type ClassifiedError struct {
	Text    string  `json:"text"`
	Verdict Verdict `json:"verdict"`
}

func (e *ClassifiedError) Error() string { return e.Text }

// Unwrap exposes the verdict's problem to errors.As, as the original
// error's own Problem was.
func (e *ClassifiedError) Unwrap() error {
	if e.Verdict.Problem == nil {
		return nil
	}
	return e.Verdict.Problem
}

// Classified wraps err with its verdict for the trip to another process.
func Classified(err error) *ClassifiedError {
	if err == nil {
		return nil
	}
	var ce *ClassifiedError
	if errors.As(err, &ce) {
		return ce
	}
	return &ClassifiedError{Text: err.Error(), Verdict: classifyErr(Observation{Err: err})}
}
