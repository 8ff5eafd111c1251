package desktop

import "testing"

func TestParseOpenLink(t *testing.T) {
	tests := []struct {
		in     string
		id     string
		wantOK bool
	}{
		{"relink://open/ga-3f9a1c2e", "ga-3f9a1c2e", true},
		{"RELINK://OPEN/ga-1", "ga-1", true},
		{"relink://open/", "", false},
		{"relink://open/../../etc", "", false},
		{"relink://open/ga-1?x=1", "", false},
		{"relink://open/ga-1/extra", "", false},
		{"relink://reauth/ga-1", "", false},
		{"relink:/callback?code=x", "", false},
		{"https://open/ga-1", "", false},
		{"--hidden", "", false},
	}
	for _, tt := range tests {
		id, ok := ParseOpenLink(tt.in)
		if id != tt.id || ok != tt.wantOK {
			t.Errorf("ParseOpenLink(%q) = %q, %v; want %q, %v", tt.in, id, ok, tt.id, tt.wantOK)
		}
	}
}
