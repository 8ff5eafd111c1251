package desktop

import (
	"maps"
	"testing"
)

type fakeEnv map[string]string

func (e fakeEnv) LookupEnv(k string) (string, bool) { v, ok := e[k]; return v, ok }
func (e fakeEnv) Setenv(k, v string) error          { e[k] = v; return nil }
func (e fakeEnv) Unsetenv(k string) error           { delete(e, k); return nil }

func TestLeanWebProcess(t *testing.T) {
	tests := []struct {
		name               string
		env, during, after fakeEnv
	}{
		{
			name:   "the JIT is off while the web process starts, then the variable is gone",
			env:    fakeEnv{"HOME": "/h"},
			during: fakeEnv{"HOME": "/h", "JSC_useJIT": "false"},
			after:  fakeEnv{"HOME": "/h"},
		},
		{
			name:   "a value the user set is left alone",
			env:    fakeEnv{"JSC_useJIT": "true"},
			during: fakeEnv{"JSC_useJIT": "true"},
			after:  fakeEnv{"JSC_useJIT": "true"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			undo := LeanWebProcess(tt.env)
			if !maps.Equal(tt.env, tt.during) {
				t.Errorf("while starting: got %v, want %v", tt.env, tt.during)
			}
			undo()
			undo() // DOM ready fires on every page load
			if !maps.Equal(tt.env, tt.after) {
				t.Errorf("after: got %v, want %v", tt.env, tt.after)
			}
		})
	}
}
