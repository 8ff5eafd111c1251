package dbprobe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"relink/backend/health"
	"strconv"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"

	"relink/backend/integration"
	"relink/backend/internal/testrig"
)

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// mongoAdmin runs one command as the rig's admin user.
func mongoAdmin(t *testing.T, port string, db string, cmd bson.D) {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + os.Getenv("RELINK_TEST_MONGO_HOST") + ":" + port + "/").
		SetAuth(options.Credential{Username: os.Getenv("RELINK_TEST_MONGO_ADMIN_USER"), Password: os.Getenv("RELINK_TEST_MONGO_ADMIN_PASSWORD"), AuthSource: "admin"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(context.Background())
	if err := c.Database(db).RunCommand(context.Background(), cmd).Err(); err != nil {
		t.Fatalf("admin %v: %v", cmd[0].Key, err)
	}
}

// TestRealMongoDB runs against the FerretDB that .ci/start-ferretdb starts
// (make test does); it skips otherwise. FerretDB v1.24 speaks MongoDB's
// protocol and SCRAM authentication but has no roles ("createUser: support
// for field "roles" with non-default value is not implemented yet"), so a
// revoked role is covered by TestMongoUnauthorized instead.
func TestRealMongoDB(t *testing.T) {
	host, port := os.Getenv("RELINK_TEST_MONGO_HOST"), os.Getenv("RELINK_TEST_MONGO_PORT")
	if host == "" {
		t.Skip(`no FerretDB: eval "$(.ci/start-ferretdb DIR)" after start-postgres first`)
	}
	user, password := "relink_"+randomHex(t)[:8], randomHex(t)
	mongoAdmin(t, port, "admin", bson.D{{Key: "createUser", Value: user}, {Key: "pwd", Value: password}, {Key: "roles", Value: bson.A{}}})
	t.Cleanup(func() { mongoAdmin(t, port, "admin", bson.D{{Key: "dropUser", Value: user}}) })
	mongoAdmin(t, port, "shop", bson.D{{Key: "insert", Value: "orders"}, {Key: "documents", Value: bson.A{bson.D{{Key: "total", Value: 3}}}}})
	p, _ := strconv.Atoi(port)
	base := health.DBRequest{Engine: "mongodb", Host: host, Port: p, User: user, Password: password, TLSMode: "disable", AuthSource: "admin"}

	check := func(name string, r health.DBRequest, status integration.Status, cause integration.Cause, problem string) {
		t.Helper()
		o := ProbeDB(context.Background(), r)
		got := health.Classify(o)
		code := ""
		if got.Problem != nil {
			code = got.Problem.Code
		}
		if got.Status != status || got.Cause != cause || code != problem {
			t.Errorf("%s: got %s/%s %s (err %v, code %q, missing %v); want %s/%s %s", name, got.Status, got.Cause, code, o.Err, o.DBCode, o.MissingPrivileges, status, cause, problem)
		}
		if status == integration.StatusConnected && o.Account != user+"@admin" {
			t.Errorf("%s: account %q; want %q", name, o.Account, user+"@admin")
		}
	}
	one := base
	one.Database, one.Tables = "shop", []string{"orders"}
	check("added, one database", one, integration.StatusConnected, "", "")
	all := base
	all.Tables = []string{"shop.orders"}
	check("added, all databases (listDatabases)", all, integration.StatusConnected, "", "")
	gone := one
	gone.Tables = []string{"shop.nope"}
	check("collection missing", gone, integration.StatusDegraded, integration.CauseAccountChange, "problem.db_privileges")

	// Commerce Intelligence reaches MongoDB through an SSH tunnel; so
	// does the probe, through the same bastion code as the SQL engines.
	b := testrig.NewBastion(t)
	tunnelled := one
	cfg := bastionConfig(b)
	tunnelled.SSH = &cfg
	check("added through an SSH tunnel", tunnelled, integration.StatusConnected, "", "")

	// No user, on a server that requires one: MongoDB answers Unauthorized
	// (13) to the listing, which the probe reports as the missing privilege.
	anon := one
	anon.User, anon.Password = "", ""
	check("no user on a server with authentication", anon, integration.StatusDegraded, integration.CauseAccountChange, "problem.db_privileges")

	mongoAdmin(t, port, "admin", bson.D{{Key: "updateUser", Value: user}, {Key: "pwd", Value: randomHex(t)}})
	check("password changed", one, integration.StatusNeedsReauth, integration.CauseAccountChange, "problem.db_auth")

	run := func(env string) {
		t.Helper()
		if out, err := exec.Command("sh", "-c", os.Getenv(env)).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v %s", env, err, out)
		}
	}
	run("RELINK_TEST_MONGO_STOP")
	t.Cleanup(func() { run("RELINK_TEST_MONGO_START") })
	check("server stopped", one, integration.StatusError, integration.CauseProviderIssue, "problem.connection_refused")
}

// TestMongoUnauthorized feeds the probe's error reading the answers a
// MongoDB server gives (https://www.mongodb.com/docs/manual/reference/error-codes/):
// Unauthorized (13) for a command the user's roles no longer allow is a
// missing privilege, AuthenticationFailed (18) a changed password.
func TestMongoUnauthorized(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		missing bool
		status  integration.Status
		cause   integration.Cause
	}{
		{"role revoked (command error)", mongo.CommandError{Code: 13, Name: "Unauthorized"}, true, integration.StatusDegraded, integration.CauseAccountChange},
		{"role revoked (wrapped driver error)", fmt.Errorf("list collections: %w", driver.Error{Code: 13}), true, integration.StatusDegraded, integration.CauseAccountChange},
		{"password changed", mongo.CommandError{Code: 18, Name: "AuthenticationFailed"}, false, integration.StatusNeedsReauth, integration.CauseAccountChange},
		{"other server error", mongo.CommandError{Code: 2, Name: "BadValue"}, false, integration.StatusError, integration.CauseAppProblem},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := health.Observation{StatusCode: 200}
			err := missingOr(tc.err, &o, "find on shop.orders")
			if got := len(o.MissingPrivileges) > 0; got != tc.missing {
				t.Fatalf("missing privileges %v; want recorded = %v", o.MissingPrivileges, tc.missing)
			}
			if err != nil {
				o.DBCode = dbErrorCode(err)
				if o.DBCode == "" {
					t.Fatalf("dbErrorCode(%v) empty; want the server's code", err)
				}
			}
			if v := health.Classify(o); v.Status != tc.status || v.Cause != tc.cause {
				t.Errorf("health.Classify = %s/%s; want %s/%s", v.Status, v.Cause, tc.status, tc.cause)
			}
		})
	}
	var mse *mongoServerError
	if !errors.As(mongoErr(mongo.CommandError{Code: 18}), &mse) || mse.code != 18 {
		t.Errorf("mongoErr lost the server's code")
	}
}

// TestCAFile: verify-full with the user's CA bundle (Amazon RDS's
// global-bundle.pem) is read up front for every engine; a file that is
// missing or holds no certificate is the user's local problem, named.
func TestCAFile(t *testing.T) {
	dir := t.TempDir()
	notPEM := dir + "/bundle.pem"
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, engine := range []string{"postgres", "mysql", "sqlserver", "mongodb"} {
		for _, path := range []string{dir + "/missing.pem", notPEM} {
			o := ProbeDB(context.Background(), health.DBRequest{Engine: engine, Host: "127.0.0.1", Port: 1, TLSMode: "verify-full", CAFile: path})
			v := health.Classify(o)
			if v.Status != integration.StatusError || v.Cause != integration.CauseLocalProblem || v.Problem == nil ||
				v.Problem.Code != "problem.ca_file" || v.Problem.Params["path"] != path {
				t.Errorf("%s %s: got %s/%s %v; want error/local_problem problem.ca_file naming the file", engine, path, v.Status, v.Cause, v.Problem)
			}
		}
	}
}
