// Command leakscan is the hygiene suite's artifact scan: it searches every
// file under the given directories for the secrets listed one per line in
// -list (and in -also), in every form support.Leaks knows, so the suite
// and the Go tests use one implementation. It prints each hit and exits 1
// when there is one, 2 when it cannot run.
//
//	go run ./.ci/leakscan -list FILE [-also a,b] [-skip SUFFIX] DIR...
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"relink/backend/support"
)

func main() {
	list := flag.String("list", "", "file with one secret per line (written by TestSecretHygiene)")
	also := flag.String("also", "", "comma-separated further secrets (fixed test keys)")
	skip := flag.String("skip", "", "ignore files whose path ends with this (the suite's own log)")
	flag.Parse()
	secrets, err := read(*list)
	if err != nil || len(secrets) == 0 {
		fmt.Fprintf(os.Stderr, "leakscan: no secrets to look for in %q (did the go suite run TestSecretHygiene?): %v\n", *list, err)
		os.Exit(2)
	}
	for _, s := range strings.Split(*also, ",") {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	files, hits := 0, 0
	for _, dir := range flag.Args() {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || (*skip != "" && strings.HasSuffix(path, *skip)) {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			if n := support.Leaks(b, secrets); n > 0 {
				hits += n
				fmt.Printf("%s: %d secret(s)\n", path, n)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "leakscan:", err)
			os.Exit(2)
		}
	}
	fmt.Printf("leakscan: %d secrets, %d files, %d hits\n", len(secrets), files, hits)
	if files == 0 {
		fmt.Fprintln(os.Stderr, "leakscan: no files scanned")
		os.Exit(2)
	}
	if hits > 0 {
		os.Exit(1)
	}
}

func read(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out = append(out, s)
		}
	}
	return out, sc.Err()
}
