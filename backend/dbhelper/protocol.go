// Package dbhelper runs database and SSH bastion checks in the
// relink-dbprobe helper process, so the window, the tray and the command
// line do not carry the database drivers (about a third of the binary and
// 8 MiB of every running window). A helper lives for one check: it reads
// one request on its standard input (the only place the password goes),
// writes what it saw on its standard output and exits.
package dbhelper

import (
	"time"

	"relink/backend/health"
)

// Ops a request asks for.
const (
	OpProbe = "probe" // health.DBRequest: connect, identify, check privileges
	OpScan  = "scan"  // health.SSHConfig: read the bastion's host key
)

// Request is one job for the helper.
type Request struct {
	Op string `json:"op"`
	// Deadline is when the helper must have answered; zero for none.
	Deadline time.Time         `json:"deadline,omitzero"`
	DB       *health.DBRequest `json:"db,omitempty"`
	SSH      *health.SSHConfig `json:"ssh,omitempty"`
	// The secrets, which DBRequest and SSHConfig never marshal: named here,
	// the one place they are written, for the helper's standard input.
	Password string `json:"password,omitempty"`
	SSHKey   string `json:"sshKey,omitempty"`
}

// Reply is what the helper saw: a probe's observation (its error
// classified on the helper's side, where the drivers' error types are) or
// a scanned host key.
type Reply struct {
	StatusCode        int                     `json:"statusCode,omitempty"`
	DBCode            string                  `json:"dbCode,omitempty"`
	Account           string                  `json:"account,omitempty"`
	MissingPrivileges []string                `json:"missingPrivileges,omitempty"`
	SSHHostKey        string                  `json:"sshHostKey,omitempty"`
	Now               time.Time               `json:"now"`
	Err               *health.ClassifiedError `json:"err,omitempty"`
}

// ReplyOf is the wire form of an observation.
func ReplyOf(o health.Observation) Reply {
	return Reply{StatusCode: o.StatusCode, DBCode: o.DBCode, Account: o.Account, MissingPrivileges: o.MissingPrivileges,
		SSHHostKey: o.SSHHostKey, Now: o.Now, Err: health.Classified(o.Err)}
}

// Observation is the reply as the classifier reads it.
func (r Reply) Observation() health.Observation {
	o := health.Observation{StatusCode: r.StatusCode, DBCode: r.DBCode, Account: r.Account, MissingPrivileges: r.MissingPrivileges,
		SSHHostKey: r.SSHHostKey, Now: r.Now}
	if r.Err != nil {
		o.Err = r.Err
	}
	return o
}
