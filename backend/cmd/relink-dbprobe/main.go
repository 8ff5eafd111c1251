// Command relink-dbprobe is Relink's database checker: it reads one check
// on standard input, connects to the database (through an SSH bastion
// when set), and writes what it saw on standard output. Relink starts it
// for each database check so its window carries no database drivers; see
// package dbhelper.
package main

import (
	"context"
	"fmt"
	"os"

	"relink/backend/dbprobe"
)

func main() {
	if err := dbprobe.Serve(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "relink-dbprobe:", err)
		os.Exit(1)
	}
}
