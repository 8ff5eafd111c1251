package main

import "testing"

// TestGUIFlagsReadTheDataDirLikeTheCLI: the window takes --data-dir in
// every form the commands do, through the same parser.
func TestGUIFlagsReadTheDataDirLikeTheCLI(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantDir string
		wantErr bool
	}{
		{[]string{"--hidden"}, "", false},
		{[]string{"--data-dir", "/x", "--hidden"}, "/x", false},
		{[]string{"-data-dir", "/x"}, "/x", false},
		{[]string{"--hidden", "--data-dir=/x"}, "/x", false},
		{[]string{"--data-dir="}, "", true},
		{[]string{"--data-dir"}, "", true},
	} {
		f, err := parseGUIFlags(tc.args)
		if f.dataDir != tc.wantDir || (err != nil) != tc.wantErr {
			t.Errorf("parseGUIFlags(%q) = %q, %v; want %q, error %v", tc.args, f.dataDir, err, tc.wantDir, tc.wantErr)
		}
	}
}
