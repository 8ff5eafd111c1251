package health

import "testing"

func TestValidFingerprint(t *testing.T) {
	for in, want := range map[string]bool{
		"SHA256:" + "nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8": true,
		"SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY":       false,
		"MD5:aa:bb": false,
		"SHA256:" + "nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5S!8": false,
		"": false,
	} {
		if got := ValidFingerprint(in); got != want {
			t.Errorf("ValidFingerprint(%q) = %v; want %v", in, got, want)
		}
	}
}
