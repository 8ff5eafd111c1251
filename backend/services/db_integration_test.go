package services

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"relink/backend/integration"
)

// These run against the real servers .ci/start-postgres and
// .ci/start-mariadb start (make test does) and skip otherwise.

func pgAdmin(t *testing.T, sql string) {
	t.Helper()
	cmd := exec.Command(os.Getenv("RELINK_TEST_PG_PSQL"), "-h", "127.0.0.1", "-p", os.Getenv("RELINK_TEST_PG_PORT"), "-U", "super",
		"-d", os.Getenv("RELINK_TEST_PG_DB"), "-v", "ON_ERROR_STOP=1", "-c", sql)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+os.Getenv("RELINK_TEST_PG_SUPER_PASSWORD"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("psql %q: %v %s", sql, err, out)
	}
}

func sh(t *testing.T, cmd string) {
	t.Helper()
	if out, err := exec.Command("sh", "-c", cmd).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v %s", cmd, err, out)
	}
}

func TestPostgresLifecycle(t *testing.T) {
	if os.Getenv("RELINK_TEST_PG_HOST") == "" {
		t.Skip(`needs a real PostgreSQL: eval "$(.ci/start-postgres DIR)"`)
	}
	ctx := context.Background()
	s, _, _ := newService(t)
	pgAdmin(t, "CREATE ROLE lifecycle LOGIN PASSWORD 'first-pass-1'; GRANT USAGE ON SCHEMA public TO lifecycle; GRANT SELECT ON public.orders TO lifecycle")
	t.Cleanup(func() { pgAdmin(t, "DROP OWNED BY lifecycle; DROP ROLE lifecycle") })
	v, err := s.Add(ctx, AddRequest{Provider: "postgres", Name: "Warehouse", Secret: "first-pass-1", Settings: map[string]string{
		"host": os.Getenv("RELINK_TEST_PG_HOST"), "port": os.Getenv("RELINK_TEST_PG_PORT"), "database": os.Getenv("RELINK_TEST_PG_DB"),
		"user": "lifecycle", "tls_mode": "disable", "schema": "public", "tables": "orders"}})
	if err != nil || v.Status != integration.StatusConnected || v.Account != "lifecycle" {
		t.Fatalf("add: %+v %v", v, err)
	}
	check := func() IntegrationView {
		vs, err := s.Check(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		return vs[0]
	}

	pgAdmin(t, "ALTER ROLE lifecycle PASSWORD 'second-pass-2'")
	if got := check(); got.Status != integration.StatusNeedsReauth || got.Cause != integration.CauseAccountChange {
		t.Errorf("after a password change got %s/%s; want needs_reauth/account_changed", got.Status, got.Cause)
	}
	// The same path the UI's secret form uses.
	if got, err := s.SubmitSecret(ctx, v.ID, "second-pass-2"); err != nil || got.Status != integration.StatusConnected {
		t.Fatalf("reauthorize with the new password: %s %v", got.Status, err)
	}

	pgAdmin(t, "REVOKE SELECT ON public.orders FROM lifecycle")
	got := check()
	if got.Status != integration.StatusDegraded || got.Problem == nil || !strings.Contains(got.Problem.Params["privileges"], "public.orders") {
		t.Errorf("after REVOKE got %s %+v; want degraded naming public.orders", got.Status, got.Problem)
	}
	pgAdmin(t, "GRANT SELECT ON public.orders TO lifecycle")
	if got := check(); got.Status != integration.StatusConnected {
		t.Fatalf("after GRANT got %s", got.Status)
	}

	sh(t, os.Getenv("RELINK_TEST_PG_STOP"))
	restarted := false
	defer func() {
		if !restarted {
			sh(t, os.Getenv("RELINK_TEST_PG_START"))
		}
	}()
	check()
	if got := check(); got.Status != integration.StatusError || got.Cause != integration.CauseProviderIssue {
		t.Errorf("server stopped: got %s/%s; want error/provider_issue", got.Status, got.Cause)
	}
	sh(t, os.Getenv("RELINK_TEST_PG_START"))
	restarted = true
	if got := check(); got.Status != integration.StatusConnected {
		t.Errorf("server back: got %s; want connected without user action", got.Status)
	}
}

func TestMariaDBPasswordAndPrivileges(t *testing.T) {
	sock := os.Getenv("RELINK_TEST_MYSQL_SOCKET")
	if sock == "" {
		t.Skip(`needs a real MariaDB: eval "$(.ci/start-mariadb DIR)"`)
	}
	admin := func(sql string) {
		t.Helper()
		if out, err := exec.Command("mariadb", "--socket="+sock, "-uroot", "-e", sql).CombinedOutput(); err != nil {
			t.Fatalf("mariadb %q: %v %s", sql, err, out)
		}
	}
	ctx := context.Background()
	s, _, _ := newService(t)
	admin("CREATE USER 'lifecycle'@'127.0.0.1' IDENTIFIED BY 'first-pass-1'; GRANT SELECT ON relink_test.orders TO 'lifecycle'@'127.0.0.1'")
	t.Cleanup(func() { admin("DROP USER 'lifecycle'@'127.0.0.1'") })
	v, err := s.Add(ctx, AddRequest{Provider: "mysql", Name: "Shop DB", Secret: "first-pass-1", Settings: map[string]string{
		"host": "127.0.0.1", "port": os.Getenv("RELINK_TEST_MYSQL_PORT"), "database": "relink_test", "user": "lifecycle",
		"tls_mode": "disable", "tables": "relink_test.orders"}})
	if err != nil || v.Status != integration.StatusConnected {
		t.Fatalf("add: %+v %v", v, err)
	}
	admin("ALTER USER 'lifecycle'@'127.0.0.1' IDENTIFIED BY 'second-pass-2'")
	vs, _ := s.Check(ctx, v.ID)
	if vs[0].Status != integration.StatusNeedsReauth {
		t.Errorf("after a password change got %s; want needs_reauth", vs[0].Status)
	}
	if got, err := s.SubmitSecret(ctx, v.ID, "second-pass-2"); err != nil || got.Status != integration.StatusConnected {
		t.Fatalf("reauthorize: %s %v", got.Status, err)
	}
	admin("REVOKE SELECT ON relink_test.orders FROM 'lifecycle'@'127.0.0.1'; GRANT SELECT ON relink_test.secrets TO 'lifecycle'@'127.0.0.1'")
	vs, _ = s.Check(ctx, v.ID)
	if vs[0].Status != integration.StatusDegraded || vs[0].Problem == nil || !strings.Contains(vs[0].Problem.Params["privileges"], "orders") {
		t.Errorf("after REVOKE got %s %+v; want degraded naming orders", vs[0].Status, vs[0].Problem)
	}
}

// mongoAdmin runs one command as the admin user of the FerretDB that
// .ci/start-ferretdb starts.
func mongoAdmin(t *testing.T, db string, cmd bson.D) {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + os.Getenv("RELINK_TEST_MONGO_HOST") + ":" + os.Getenv("RELINK_TEST_MONGO_PORT") + "/").
		SetAuth(options.Credential{Username: os.Getenv("RELINK_TEST_MONGO_ADMIN_USER"), Password: os.Getenv("RELINK_TEST_MONGO_ADMIN_PASSWORD"), AuthSource: "admin"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(context.Background())
	if err := c.Database(db).RunCommand(context.Background(), cmd).Err(); err != nil {
		t.Fatalf("mongodb %s: %v", cmd[0].Key, err)
	}
}

// TestMongoDBLifecycle is issue 17's acceptance against a real FerretDB:
// add → connected, password changed → needs reauthorization (and the new
// password repairs it), server stopped → error, back → connected. A
// revoked role cannot be staged there (FerretDB v1 has no roles); the
// health package tests MongoDB's Unauthorized answer.
func TestMongoDBLifecycle(t *testing.T) {
	if os.Getenv("RELINK_TEST_MONGO_HOST") == "" {
		t.Skip(`needs FerretDB: eval "$(.ci/start-ferretdb DIR)" after start-postgres`)
	}
	ctx := context.Background()
	s, _, _ := newService(t)
	mongoAdmin(t, "admin", bson.D{{Key: "createUser", Value: "lifecycle"}, {Key: "pwd", Value: "first-pass-1"}, {Key: "roles", Value: bson.A{}}})
	t.Cleanup(func() { mongoAdmin(t, "admin", bson.D{{Key: "dropUser", Value: "lifecycle"}}) })
	mongoAdmin(t, "shop", bson.D{{Key: "insert", Value: "orders"}, {Key: "documents", Value: bson.A{bson.D{{Key: "total", Value: 1}}}}})
	v, err := s.Add(ctx, AddRequest{Provider: "mongodb", Name: "Events", Secret: "first-pass-1", Settings: map[string]string{
		"host": os.Getenv("RELINK_TEST_MONGO_HOST"), "port": os.Getenv("RELINK_TEST_MONGO_PORT"), "database": "shop",
		"user": "lifecycle", "collections": "shop.orders"}})
	if err != nil || v.Status != integration.StatusConnected || v.Account != "lifecycle@admin" {
		t.Fatalf("add: %+v %v", v, err)
	}
	check := func() IntegrationView {
		vs, err := s.Check(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		return vs[0]
	}
	mongoAdmin(t, "admin", bson.D{{Key: "updateUser", Value: "lifecycle"}, {Key: "pwd", Value: "second-pass-2"}})
	if got := check(); got.Status != integration.StatusNeedsReauth || got.Cause != integration.CauseAccountChange {
		t.Errorf("after a password change got %s/%s; want needs_reauth/account_changed", got.Status, got.Cause)
	}
	if got, err := s.SubmitSecret(ctx, v.ID, "second-pass-2"); err != nil || got.Status != integration.StatusConnected {
		t.Fatalf("reauthorize with the new password: %s %v", got.Status, err)
	}
	sh(t, os.Getenv("RELINK_TEST_MONGO_STOP"))
	restarted := false
	defer func() {
		if !restarted {
			sh(t, os.Getenv("RELINK_TEST_MONGO_START"))
		}
	}()
	check()
	if got := check(); got.Status != integration.StatusError || got.Cause != integration.CauseProviderIssue {
		t.Errorf("server stopped: got %s/%s; want error/provider_issue", got.Status, got.Cause)
	}
	sh(t, os.Getenv("RELINK_TEST_MONGO_START"))
	restarted = true
	if got := check(); got.Status != integration.StatusConnected {
		t.Errorf("server back: got %s; want connected without user action", got.Status)
	}
}

// TestStorePresetChecksItsTables adds Spree (a PostgreSQL preset) with
// only connection settings: its documented tables are what the privilege
// check reads, so a database without them is degraded, naming them.
func TestStorePresetChecksItsTables(t *testing.T) {
	if os.Getenv("RELINK_TEST_PG_HOST") == "" {
		t.Skip(`needs a real PostgreSQL: eval "$(.ci/start-postgres DIR)"`)
	}
	s, _, _ := newService(t)
	v, err := s.Add(context.Background(), AddRequest{Provider: "spree", Name: "Spree", Secret: os.Getenv("RELINK_TEST_PG_PASSWORD"), Settings: map[string]string{
		"host": os.Getenv("RELINK_TEST_PG_HOST"), "port": os.Getenv("RELINK_TEST_PG_PORT"), "database": os.Getenv("RELINK_TEST_PG_DB"),
		"user": os.Getenv("RELINK_TEST_PG_USER"), "tls_mode": "disable"}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != integration.StatusDegraded || v.Problem == nil || !strings.Contains(v.Problem.Params["privileges"], "public.spree_orders") {
		t.Errorf("add spree: got %s %+v; want degraded naming public.spree_orders", v.Status, v.Problem)
	}
}

// TestMongoDBWithoutUser: MongoDB is the one database Commerce
// Intelligence connects to without a user (a server run without
// authentication). Adding one needs no password and checks run without a
// keychain entry; this FerretDB requires authentication, so the server's
// Unauthorized answer shows as missing privileges, not as a missing
// password. With a user, the password is required.
func TestMongoDBWithoutUser(t *testing.T) {
	if os.Getenv("RELINK_TEST_MONGO_HOST") == "" {
		t.Skip(`needs FerretDB: eval "$(.ci/start-ferretdb DIR)" after start-postgres`)
	}
	ctx := context.Background()
	s, _, _ := newService(t)
	settings := map[string]string{"host": os.Getenv("RELINK_TEST_MONGO_HOST"), "port": os.Getenv("RELINK_TEST_MONGO_PORT"), "database": "shop"}
	v, err := s.Add(ctx, AddRequest{Provider: "mongodb", Name: "Open", Settings: settings})
	if err != nil || v.Status != integration.StatusDegraded || v.Problem == nil || !strings.Contains(v.Problem.Params["privileges"], "listCollections on shop") {
		t.Fatalf("add without a user: %+v %v; want degraded naming listCollections on shop", v, err)
	}
	if vs, err := s.Check(ctx, v.ID); err != nil || vs[0].Status != integration.StatusDegraded {
		t.Errorf("check without a keychain entry: %+v %v; want degraded again", vs, err)
	}
	settings["user"] = "someone"
	_, err = s.Add(ctx, AddRequest{Provider: "mongodb", Name: "Needs password", Settings: settings})
	if p := (*integration.Problem)(nil); !errors.As(err, &p) || p.Code != "error.secret_required" {
		t.Errorf("add with a user and no password: %v; want error.secret_required", err)
	}
}
