package dbprobe

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"relink/backend/health"
	"relink/backend/integration"
)

// These run against the real servers .ci/start-postgres and
// .ci/start-mariadb start (make test does); they skip otherwise.
func dbEnv(t *testing.T, prefix, engine string) health.DBRequest {
	host := os.Getenv("RELINK_TEST_" + prefix + "_HOST")
	if host == "" {
		t.Skipf("no %s server: eval \"$(.ci/start-%s DIR)\" first", engine, map[string]string{"PG": "postgres", "MYSQL": "mariadb"}[prefix])
	}
	port, _ := strconv.Atoi(os.Getenv("RELINK_TEST_" + prefix + "_PORT"))
	return health.DBRequest{Engine: engine, Host: host, Port: port, Database: os.Getenv("RELINK_TEST_" + prefix + "_DB"),
		User: os.Getenv("RELINK_TEST_" + prefix + "_USER"), Password: os.Getenv("RELINK_TEST_" + prefix + "_PASSWORD"), TLSMode: "disable"}
}

func TestRealDatabases(t *testing.T) {
	for _, db := range []struct{ prefix, engine, schema string }{{"PG", "postgres", "public"}, {"MYSQL", "mysql", ""}} {
		for _, pr := range probers() {
			t.Run(db.engine+"/"+pr.name, func(t *testing.T) {
				base := dbEnv(t, db.prefix, db.engine)
				nopriv := os.Getenv("RELINK_TEST_" + db.prefix + "_NOPRIV_USER")
				noprivPW := os.Getenv("RELINK_TEST_" + db.prefix + "_NOPRIV_PASSWORD")
				table := func(name string) []string {
					if db.schema == "" {
						return []string{base.Database + "." + name}
					}
					return []string{name}
				}
				for _, tc := range []struct {
					name    string
					mod     func(r *health.DBRequest)
					status  integration.Status
					cause   integration.Cause
					account string
				}{
					{"good", func(r *health.DBRequest) { r.Schema, r.Tables = db.schema, table("orders") }, integration.StatusConnected, "", base.User},
					{"wrong password", func(r *health.DBRequest) { r.Password = "wrong" }, integration.StatusNeedsReauth, integration.CauseAccountChange, ""},
					{"missing privilege", func(r *health.DBRequest) { r.Schema, r.Tables = db.schema, table("secrets") }, integration.StatusDegraded, integration.CauseAccountChange, base.User},
					{"user without privileges", func(r *health.DBRequest) {
						r.User, r.Password, r.Schema, r.Tables = nopriv, noprivPW, db.schema, table("orders")
					}, "", integration.CauseAccountChange, ""},
					{"database missing", func(r *health.DBRequest) { r.Database = "nope" }, "", integration.CauseAccountChange, ""},
					{"server down", func(r *health.DBRequest) { r.Port = 1 }, integration.StatusError, integration.CauseProviderIssue, ""},
					{"tls required but not offered", func(r *health.DBRequest) { r.TLSMode = "verify-full" }, integration.StatusError, "", ""},
				} {
					r := base
					tc.mod(&r)
					o := pr.ProbeDB(context.Background(), r)
					v := health.Classify(o)
					if (tc.status != "" && v.Status != tc.status) || (tc.cause != "" && v.Cause != tc.cause) || (tc.account != "" && !strings.HasPrefix(o.Account, tc.account)) {
						t.Errorf("%s: got %s/%s account %q (%v, code %s, problem %v); want %s/%s %q", tc.name, v.Status, v.Cause, o.Account, o.Err, o.DBCode, v.Problem, tc.status, tc.cause, tc.account)
					}
					if v.Status == integration.StatusConnected && tc.status != integration.StatusConnected {
						t.Errorf("%s: connected; want a failure", tc.name)
					}
					if o.Err != nil && r.Password != "" && strings.Contains(o.Err.Error(), r.Password) {
						t.Errorf("%s: error contains the password", tc.name)
					}
				}
			})
		}
	}
}
