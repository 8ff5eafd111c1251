package health

import (
	"encoding/json"
	"testing"

	"relink/backend/integration"
)

func TestUnmet(t *testing.T) {
	fail := Expectation{Status: integration.StatusError, Cause: integration.CauseAccountChange, Problem: "problem.x"}
	with := func(e Expectation) Expectation {
		e.Status, e.Cause, e.Problem = fail.Status, fail.Cause, fail.Problem
		return e
	}
	tests := []struct {
		name string
		doc  string
		e    Expectation
		met  bool
	}{
		{"nonEmpty list", `{"a":[1]}`, with(Expectation{Path: "a", Test: "nonEmpty"}), true},
		{"empty list", `{"a":[]}`, with(Expectation{Path: "a", Test: "nonEmpty"}), false},
		{"omitted list", `{}`, with(Expectation{Path: "a", Test: "nonEmpty"}), false},
		{"empty root array", `[]`, with(Expectation{Test: "nonEmpty"}), false},
		{"present id", `{"user":{"id":7}}`, with(Expectation{Path: "user.id", Test: "present"}), true},
		{"null id", `{"user":{"id":null}}`, with(Expectation{Path: "user.id", Test: "present"}), false},
		{"contains tenant", `[{"tenantId":"t1"},{"tenantId":"t2"}]`, with(Expectation{Test: "contains", Key: "tenantId", Value: "t2"}), true},
		{"tenant gone", `[{"tenantId":"t1"}]`, with(Expectation{Test: "contains", Key: "tenantId", Value: "t2"}), false},
		{"role allowed", `{"user":{"role":"agent"}}`, with(Expectation{Path: "user.role", Test: "oneOf", Values: []string{"admin", "agent"}}), true},
		{"role refused", `{"user":{"role":"end-user"}}`, with(Expectation{Path: "user.role", Test: "oneOf", Values: []string{"admin", "agent"}}), false},
		{"not JSON", ``, with(Expectation{Path: "a", Test: "present"}), false},
		{"unknown test", `{"a":1}`, with(Expectation{Path: "a", Test: "bogus"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc any
			_ = json.Unmarshal([]byte(tt.doc), &doc)
			got := Unmet(doc, []Expectation{tt.e})
			if (got == nil) != tt.met {
				t.Fatalf("Unmet(%s, %+v) = %+v; want met %v", tt.doc, tt.e, got, tt.met)
			}
			if got != nil && (got.Status != fail.Status || got.Cause != fail.Cause || got.Problem.Code != "problem.x") {
				t.Errorf("verdict %+v; want the expectation's", got)
			}
		})
	}
	p := Unmet(map[string]any{"user": map[string]any{"role": "end-user"}}, []Expectation{with(Expectation{Path: "user.role", Test: "oneOf", Values: []string{"agent"}, Param: "role"})})
	if p == nil || p.Problem.Params["role"] != "end-user" {
		t.Errorf("param: got %+v; want role=end-user", p)
	}
}
