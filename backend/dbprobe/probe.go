package dbprobe

import (
	"context"
	"crypto/tls"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"relink/backend/health"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"
)

// ProbeDB connects for real, runs a trivial query, reads the identity and
// checks the privileges the integration needs.
func ProbeDB(ctx context.Context, r health.DBRequest) health.Observation {
	o := health.Observation{Now: time.Now()}
	var dial dialFunc
	if r.SSH != nil {
		t, err := DialSSH(ctx, *r.SSH)
		if t != nil {
			o.SSHHostKey = t.SeenKey
		}
		if err != nil {
			o.Err = scrubDBError(err, r.Password)
			return o
		}
		defer t.Close()
		dial = tunnelDial(t)
	}
	if r.CAFile != "" && r.TLSMode == "verify-full" {
		// Read once up front: each driver reports a bad file its own way.
		if _, err := caPool(r.CAFile); err != nil {
			o.Err = err
			return o
		}
	}
	var err error
	switch r.Engine {
	case "postgres":
		err = probePostgres(ctx, r, dial, &o)
	case "mysql":
		err = probeSQL(ctx, mysqlConnector(r, dial), r, &o, "SELECT CURRENT_USER()", func(t string) string { return "SELECT 1 FROM " + t + " LIMIT 0" })
	case "sqlserver":
		var c driver.Connector
		if c, err = mssqlConnector(r, dial); err == nil {
			err = probeSQL(ctx, c, r, &o, "SELECT SUSER_SNAME()", func(t string) string { return "SELECT TOP 0 1 FROM " + t })
		}
	case "mongodb":
		err = probeMongo(ctx, r, dial, &o)
	default:
		err = fmt.Errorf("unknown database engine %q", r.Engine)
	}
	if err != nil {
		if code := dbErrorCode(err); code != "" {
			o.DBCode = code
		} else {
			o.Err = scrubDBError(err, r.Password)
		}
		return o
	}
	o.StatusCode = 200
	return o
}

func dbErrorCode(err error) string {
	var pg *pgconn.PgError
	var my *mysql.MySQLError
	var ms mssql.Error
	var mg *mongoServerError
	switch {
	case errors.As(err, &mg):
		return health.MongoCodePrefix + strconv.Itoa(int(mg.code))
	case errors.As(err, &pg):
		return pg.Code
	case errors.As(err, &my):
		return strconv.Itoa(int(my.Number))
	case errors.As(err, &ms):
		return strconv.Itoa(int(ms.Number))
	}
	return ""
}

// scrubDBError makes sure no driver error text can carry the password.
func scrubDBError(err error, password string) error {
	if password != "" && strings.Contains(err.Error(), password) {
		return &redactedError{msg: strings.ReplaceAll(err.Error(), password, "[redacted]"), err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Unwrap keeps the type chain for classification (timeouts, DNS…).
func (e *redactedError) Unwrap() error { return e.err }

func pgSSLMode(m string) string {
	switch m {
	case "disable", "require", "verify-full":
		return m
	}
	return "prefer"
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func probePostgres(ctx context.Context, r health.DBRequest, dial dialFunc, o *health.Observation) error {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(r.User, r.Password), Host: net.JoinHostPort(r.Host, strconv.Itoa(r.Port)), Path: "/" + r.Database}
	q := url.Values{"sslmode": {pgSSLMode(r.TLSMode)}, "connect_timeout": {"10"}, "application_name": {"relink-health"}}
	if r.CAFile != "" && r.TLSMode == "verify-full" {
		q.Set("sslrootcert", r.CAFile)
	}
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return fmt.Errorf("postgres settings: %w", errors.New("invalid connection settings"))
	}
	if dial != nil {
		cfg.DialFunc = pgconn.DialFunc(dial)
		cfg.LookupFunc = func(_ context.Context, host string) ([]string, error) { return []string{host}, nil }
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, "SELECT current_user").Scan(&o.Account); err != nil {
		return err
	}
	if r.Schema != "" {
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT has_schema_privilege($1, 'USAGE')", r.Schema).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			o.MissingPrivileges = append(o.MissingPrivileges, "USAGE on "+r.Schema)
		}
	}
	for _, t := range r.QualifiedTables() {
		var ok bool
		err := conn.QueryRow(ctx, "SELECT has_table_privilege($1, 'SELECT')", t).Scan(&ok)
		var pg *pgconn.PgError
		if errors.As(err, &pg) && pg.Code == "42P01" {
			o.MissingPrivileges = append(o.MissingPrivileges, "table "+t+" missing")
			continue
		}
		if err != nil {
			return err
		}
		if !ok {
			o.MissingPrivileges = append(o.MissingPrivileges, "SELECT on "+t)
		}
	}
	return nil
}

func mysqlConnector(r health.DBRequest, dial dialFunc) driver.Connector {
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr, c.DBName = r.User, r.Password, "tcp", net.JoinHostPort(r.Host, strconv.Itoa(r.Port)), r.Database
	c.Timeout, c.ReadTimeout = 10*time.Second, 15*time.Second
	switch r.TLSMode {
	case "disable":
		c.TLSConfig = "false"
	case "require":
		c.TLSConfig = "skip-verify"
	case "verify-full":
		c.TLSConfig = "true"
		if r.CAFile != "" {
			pool, err := caPool(r.CAFile)
			if err != nil {
				return errConnector{err}
			}
			c.TLS = &tls.Config{ServerName: r.Host, RootCAs: pool}
		}
	default:
		c.TLSConfig = "preferred"
	}
	if dial != nil {
		c.DialFunc = dial
	}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return errConnector{err}
	}
	return conn
}

// errConnector reports a configuration error when the probe connects.
type errConnector struct{ err error }

func (e errConnector) Connect(context.Context) (driver.Conn, error) { return nil, e.err }
func (e errConnector) Driver() driver.Driver                        { return nil }

func mssqlConnector(r health.DBRequest, dial dialFunc) (driver.Connector, error) {
	u := url.URL{Scheme: "sqlserver", User: url.UserPassword(r.User, r.Password), Host: net.JoinHostPort(r.Host, strconv.Itoa(r.Port))}
	q := url.Values{"database": {r.Database}, "dial timeout": {"10"}, "app name": {"relink-health"}}
	switch r.TLSMode {
	case "disable":
		q.Set("encrypt", "disable")
	case "require":
		q.Set("encrypt", "true")
		q.Set("TrustServerCertificate", "true")
	case "verify-full":
		q.Set("encrypt", "true")
		if r.CAFile != "" {
			// go-mssqldb's "certificate": the file the server's
			// certificate is verified against.
			q.Set("certificate", r.CAFile)
		}
	default:
		q.Set("encrypt", "false")
	}
	u.RawQuery = q.Encode()
	c, err := mssql.NewConnector(u.String())
	if err != nil {
		return nil, errors.New("invalid connection settings")
	}
	if dial != nil {
		c.Dialer = dialer(dial)
	}
	return c, nil
}

type dialer dialFunc

func (d dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return d(ctx, network, addr)
}

// probeSQL is the database/sql path shared by MySQL and SQL Server.
func probeSQL(ctx context.Context, c driver.Connector, r health.DBRequest, o *health.Observation, whoami string, selectFrom func(string) string) error {
	db := sql.OpenDB(c)
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, whoami).Scan(&o.Account); err != nil {
		return err
	}
	for _, t := range r.QualifiedTables() {
		if !safeIdent(t) {
			return fmt.Errorf("table name %q is not a plain identifier", t)
		}
		rows, err := conn.QueryContext(ctx, selectFrom(t))
		if err != nil {
			switch dbErrorCode(err) {
			case "1142", "1143", "229", "230":
				o.MissingPrivileges = append(o.MissingPrivileges, "SELECT on "+t)
				continue
			case "1146", "208":
				o.MissingPrivileges = append(o.MissingPrivileges, "table "+t+" missing")
				continue
			}
			return err
		}
		rows.Close()
	}
	return nil
}

// safeIdent allows schema.table names made of identifier characters only,
// since they are spliced into a statement.
func safeIdent(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '.' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}
