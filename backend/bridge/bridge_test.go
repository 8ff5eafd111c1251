package bridge

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Code string `json:"code"`
}

type base struct {
	Shared string `json:"shared"`
}

type model struct {
	base
	Name     string            `json:"name"`
	Count    int64             `json:"count,omitempty"`
	When     time.Time         `json:"when,omitzero"`
	Seen     *time.Time        `json:"seen,omitempty"`
	Problem  *inner            `json:"problem"`
	Items    []inner           `json:"items"`
	Settings map[string]string `json:"settings"`
	Hidden   string            `json:"-"`
	Untagged bool
}

type binding struct{}

func (binding) Get(id string, n int) (model, error) { return model{}, nil }
func (binding) Ok() (bool, error)                   { return true, nil }

func TestDeclare(t *testing.T) {
	got, err := Declare("// header\n", reflect.TypeFor[binding](), []Event{
		{Name: "thing:changed", Payload: reflect.TypeFor[[]model]()},
		{Name: "things:reload"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"// header\n",
		"export interface inner {\n  code: string;\n}",
		"  shared: string;\n  name: string;\n  count?: number;\n  when?: string;\n  seen?: string;\n  problem: inner | null;\n" +
			"  items: inner[];\n  settings: Record<string, string>;\n  Untagged: boolean;\n}",
		"  Get(arg0: string, arg1: number): Promise<model>;\n  Ok(): Promise<boolean>;\n",
		"  'thing:changed': (payload: model[]) => void;\n  'things:reload': () => void;\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Declare(...) lacks\n%s\nin\n%s", want, got)
		}
	}
	for _, absent := range []string{"Hidden", "base"} {
		if strings.Contains(got, absent) {
			t.Errorf("Declare(...) declares %s:\n%s", absent, got)
		}
	}
}

type selfMarshaled struct{}

func (selfMarshaled) MarshalJSON() ([]byte, error) { return []byte(`"x"`), nil }

type badBinding struct{}

func (badBinding) Odd() (selfMarshaled, error) { return selfMarshaled{}, nil }

type noError struct{}

func (noError) Count() int { return 0 }

func TestDeclareRefuses(t *testing.T) {
	tests := []struct {
		name  string
		bound reflect.Type
		want  string
	}{
		{"a type that marshals itself", reflect.TypeFor[badBinding](), "marshals itself"},
		{"a method without an error", reflect.TypeFor[noError](), "want (T, error)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Declare("", tc.bound, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Declare(%s) error = %v; want one saying %q", tc.bound, err, tc.want)
			}
		})
	}
}
