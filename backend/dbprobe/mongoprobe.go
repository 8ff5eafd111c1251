package dbprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"relink/backend/health"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"relink/backend/integration"
)

// MongoDB server error codes the probe reads
// (https://www.mongodb.com/docs/manual/reference/error-codes/).
const (
	mongoUnauthorized         = 13 // Unauthorized: the user lacks the privilege for the command
	mongoAuthenticationFailed = 18 // AuthenticationFailed: wrong user, password or mechanism
)

// probeMongo authenticates, pings, reads who it is, and checks it may
// list the databases (no database configured: that needs listDatabases)
// or the configured database's collections, and read each configured
// collection.
func probeMongo(ctx context.Context, r health.DBRequest, dial dialFunc, o *health.Observation) error {
	addr := net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
	// The driver retries a refused or unresolvable server until server
	// selection times out and then names the cause only in its topology
	// text: one plain dial first reports it at once, as itself.
	if dial == nil {
		d := net.Dialer{Timeout: 10 * time.Second}
		dial = d.DialContext
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("mongodb %s: %w", addr, err)
	}
	conn.Close()
	opts := options.Client().
		SetHosts([]string{addr}).
		SetDirect(true).
		SetAppName("relink-health").
		SetConnectTimeout(10 * time.Second).
		SetServerSelectionTimeout(10 * time.Second).
		SetRetryReads(false)
	// No user: a server run without authentication (mongod's default).
	if r.User != "" {
		opts.SetAuth(options.Credential{AuthMechanism: r.AuthMechanism, AuthSource: authSource(r), Username: r.User, Password: r.Password})
	}
	tc, err := tlsConfig(r)
	if err != nil {
		return err
	}
	if tc != nil {
		opts.SetTLSConfig(tc)
	}
	opts.SetDialer(dialer(dial))
	client, err := mongo.Connect(opts)
	if err != nil {
		return fmt.Errorf("mongodb settings: %w", err)
	}
	defer client.Disconnect(context.Background())
	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		return mongoErr(err)
	}
	var status struct {
		AuthInfo struct {
			Users []struct{ User, DB string } `bson:"authenticatedUsers"`
		} `bson:"authInfo"`
	}
	if err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "connectionStatus", Value: 1}}).Decode(&status); err != nil {
		return mongoErr(err)
	}
	if u := status.AuthInfo.Users; len(u) > 0 {
		o.Account = u[0].User + "@" + u[0].DB
	}
	if r.Database == "" {
		// authorizedDatabases false: the server lists every database only
		// for a user with the listDatabases action and refuses the others,
		// instead of quietly listing just what they may read
		// (https://www.mongodb.com/docs/manual/reference/command/listDatabases/).
		_, err := client.ListDatabaseNames(ctx, bson.D{}, options.ListDatabases().SetAuthorizedDatabases(false))
		if err := missingOr(err, o, "listDatabases"); err != nil {
			return err
		}
	} else {
		_, err := client.Database(r.Database).ListCollectionNames(ctx, bson.D{})
		if err := missingOr(err, o, "listCollections on "+r.Database); err != nil {
			return err
		}
	}
	for _, t := range r.Tables {
		db, coll, ok := strings.Cut(strings.TrimSpace(t), ".")
		if !ok {
			db, coll = r.Database, db
		}
		if db == "" || coll == "" {
			return fmt.Errorf("collection %q: name it database.collection", t)
		}
		// A find on a collection that does not exist succeeds empty: list
		// it first, as the SQL probes report a missing table.
		names, err := client.Database(db).ListCollectionNames(ctx, bson.D{{Key: "name", Value: coll}})
		if err != nil {
			if err := missingOr(err, o, "listCollections on "+db); err != nil {
				return err
			}
			continue
		}
		if len(names) == 0 {
			o.MissingPrivileges = append(o.MissingPrivileges, "collection "+db+"."+coll+" missing")
			continue
		}
		// batchSize 0 returns an empty first batch (limit 0 would mean no
		// limit): nothing is read, but the find privilege is needed.
		err = client.Database(db).RunCommand(ctx, bson.D{{Key: "find", Value: coll}, {Key: "batchSize", Value: 0}, {Key: "singleBatch", Value: true}}).Err()
		if err := missingOr(err, o, "find on "+db+"."+coll); err != nil {
			return err
		}
	}
	return nil
}

// missingOr records an Unauthorized answer as a missing privilege and
// returns any other error.
func missingOr(err error, o *health.Observation, privilege string) error {
	if err == nil {
		return nil
	}
	if mongoCode(err) == mongoUnauthorized {
		o.MissingPrivileges = append(o.MissingPrivileges, privilege)
		return nil
	}
	return mongoErr(err)
}

// mongoCode is the server's error code in err, or 0.
func mongoCode(err error) int32 {
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		return ce.Code
	}
	var de driver.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return 0
}

// mongoErr turns a driver error into what the classifier reads: the
// server's code when it answered, else the connection error the driver
// saw while selecting the server (refused, DNS, TLS…), which it keeps
// only in the topology description.
func mongoErr(err error) error {
	if code := mongoCode(err); code != 0 {
		return &mongoServerError{code: code, err: err}
	}
	var sse topology.ServerSelectionError
	if errors.As(err, &sse) {
		for _, s := range sse.Desc.Servers {
			if s.LastError != nil {
				return fmt.Errorf("mongodb %s: %w", s.Addr, s.LastError)
			}
		}
	}
	return err
}

// mongoServerError is a MongoDB server's refusal, carried to dbErrorCode.
type mongoServerError struct {
	code int32
	err  error
}

func (e *mongoServerError) Error() string { return e.err.Error() }
func (e *mongoServerError) Unwrap() error { return e.err }

func authSource(r health.DBRequest) string {
	if r.AuthSource != "" {
		return r.AuthSource
	}
	return "admin"
}

// tlsConfig is nil for disable; require encrypts without checking the
// certificate; verify-full checks it against the CA file or the system
// roots.
func tlsConfig(r health.DBRequest) (*tls.Config, error) {
	switch r.TLSMode {
	case "require":
		return &tls.Config{InsecureSkipVerify: true}, nil //nolint:gosec // the user chose encryption without verification
	case "verify-full":
		c := &tls.Config{ServerName: r.Host}
		if r.CAFile != "" {
			pool, err := caPool(r.CAFile)
			if err != nil {
				return nil, err
			}
			c.RootCAs = pool
		}
		return c, nil
	}
	return nil, nil
}

// caPool reads a PEM bundle such as Amazon RDS's global-bundle.pem. A
// file that cannot be read is the user's setting, a local problem.
func caPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		pool := x509.NewCertPool()
		if pool.AppendCertsFromPEM(b) {
			return pool, nil
		}
		err = errors.New("no PEM certificates")
	}
	return nil, integration.NewError(health.ErrCAFile, err, "problem.ca_file", "path", path)
}
