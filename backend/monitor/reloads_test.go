package monitor

import (
	"slices"
	"testing"
)

func TestReloads(t *testing.T) {
	tests := []struct {
		name     string
		versions []int64 // data_version at each tick, starting from 1
		want     []bool  // whether each tick reloads
	}{
		{"nothing written", []int64{1, 1, 1}, []bool{false, false, false}},
		{"one write (the CLI's) reloads at once", []int64{2, 2, 2}, []bool{true, false, false}},
		{"writes on every tick reload at the start and once after", []int64{2, 3, 4, 5, 5, 5}, []bool{true, false, false, false, true, false}},
		{"a write after a quiet tick reloads at once again", []int64{2, 2, 3, 3}, []bool{true, false, true, false}},
		{"two bursts", []int64{2, 3, 3, 4, 5, 5}, []bool{true, false, true, true, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := reloads{last: 1}
			var got []bool
			for _, v := range tt.versions {
				got = append(got, r.seen(v))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
