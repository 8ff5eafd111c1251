// Package cli is the `relink` command line: the same core as the window,
// over the same data dir and keychain, without a display. Its commands,
// flags, JSON shapes and exit codes are a contract scripts depend on.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/services"
	"relink/backend/store"
)

// Exit codes.
const (
	ExitOK        = 0
	ExitFailed    = 1 // the command itself failed
	ExitUsage     = 2 // bad flags or arguments
	ExitAttention = 3 // a checked integration needs attention
)

// Env is everything a command may touch, passed in so tests run commands
// in-process with their own streams and environment.
type Env struct {
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string
	Version string
	I18n    *i18n.Catalog
	// Open builds the core over a data dir ("" = default resolution).
	Open func(ctx context.Context, dataDir string) (Core, func(), error)
}

type command struct {
	name    string
	summary string // i18n key; its usage line is "cli.usage.NAME"
	run     func(ctx context.Context, c *cmdCtx) int
}

func commands() []command {
	return []command{
		{"providers", "cli.help.providers", runProviders},
		{"add", "cli.help.add", runAdd},
		{"edit", "cli.help.edit", runEdit},
		{"list", "cli.help.list", runList},
		{"check", "cli.help.check", runCheck},
		{"reauth", "cli.help.reauth", runReauth},
		{"token", "cli.help.token", runToken},
		{"history", "cli.help.history", runHistory},
		{"remove", "cli.help.remove", runRemove},
		{"diagnostics", "cli.help.diagnostics", runDiagnostics},
		{"alerts", "cli.help.alerts", runAlerts},
		{"version", "cli.help.version", runVersion},
	}
}

// SplitDataDir takes the global --data-dir flag (--data-dir DIR,
// --data-dir=DIR, -data-dir DIR), wherever it stands, out of args: the
// one reading of it for the commands and the window.
func SplitDataDir(args []string) (dataDir string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--data-dir" || a == "-data-dir":
			if i+1 >= len(args) {
				return "", nil, usage("cli.error.flag_needs_value", "flag", "--data-dir")
			}
			dataDir = args[i+1]
			i++
		case strings.HasPrefix(a, "--data-dir="):
			dataDir = strings.TrimPrefix(a, "--data-dir=")
		default:
			rest = append(rest, a)
			continue
		}
		// An empty value is a mistake (an unset shell variable), not a
		// request for the default folder.
		if strings.TrimSpace(dataDir) == "" {
			return "", nil, usage("cli.error.data_dir_empty")
		}
	}
	return dataDir, rest, nil
}

// IsCommand reports whether args start a CLI command rather than the GUI.
// A --data-dir the CLI cannot read is its to report.
func IsCommand(args []string) bool {
	_, args, err := SplitDataDir(args)
	if err != nil {
		return true
	}
	for _, a := range args {
		if a == "--" {
			return false
		}
		if strings.HasPrefix(a, "-") {
			if a == "-h" || a == "--help" || a == "-help" {
				return true
			}
			continue
		}
		for _, c := range commands() {
			if a == c.name {
				return true
			}
		}
		return a == "help"
	}
	return false
}

// usageError marks a mistake in how the command was called (exit 2).
type usageError struct{ p *integration.Problem }

func (e *usageError) Error() string { return e.p.Error() }
func (e *usageError) Unwrap() error { return e.p }

func usage(code string, kv ...string) error {
	return &usageError{integration.NewProblem(code, kv...)}
}

type cmdCtx struct {
	env     Env
	lang    string
	dataDir string
	args    []string
	json    bool
	core    Core
	closeFn func()
	said    []*integration.Problem // storage problems open printed
}

func (c *cmdCtx) t(key string, kv ...string) string {
	var p map[string]string
	if len(kv) > 0 {
		p = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
	}
	return c.env.I18n.T(c.lang, key, p)
}

func (c *cmdCtx) open(ctx context.Context) error {
	core, closeFn, err := c.env.Open(ctx, c.dataDir)
	if err != nil {
		return err
	}
	c.core, c.closeFn = core, closeFn
	// Reading still works when the data cannot be saved (or was just
	// recovered): say so once, before the command's own output.
	st := core.Storage()
	for _, p := range []*integration.Problem{st.Notice, st.Problem} {
		if p != nil {
			fmt.Fprintf(c.env.Stderr, "relink: %s\n", c.env.I18n.Problem(c.lang, p))
			c.said = append(c.said, p)
		}
	}
	return nil
}

// fail says err on stderr and returns its exit code.
func (c *cmdCtx) fail(err error) int {
	code := ExitFailed
	var ue *usageError
	switch {
	case errors.Is(err, services.ErrNeedsAttention):
		code = ExitAttention
	case errors.As(err, &ue), errors.Is(err, integration.ErrInvalid), errors.Is(err, errUsage), errors.Is(err, store.ErrNotFound):
		// An integration name that matches nothing is a mistake in the
		// command line like any other.
		code = ExitUsage
	}
	p := services.PathProblem(err)
	if p == nil {
		p = integration.AsProblem(err)
	}
	if !c.printed(p) {
		Say(c.env.Stderr, c.env.I18n, c.lang, p)
	}
	return code
}

// Say writes a problem on stderr as Relink tells a person: its sentence
// and, for an error Relink did not expect, the text a bug report needs on
// a line of its own (the sentence itself stays the generic one).
func Say(w io.Writer, cat *i18n.Catalog, lang string, p *integration.Problem) {
	fmt.Fprintf(w, "relink: %s\n", cat.Problem(lang, p))
	if d := cat.InternalDetail(p); d != "" {
		fmt.Fprintf(w, "relink: %s\n", cat.T(lang, "cli.msg.internal_detail", map[string]string{"detail": d}))
	}
}

// printed reports whether open already said p (the data cannot be
// saved), so a command refused for that reason does not say it twice.
func (c *cmdCtx) printed(p *integration.Problem) bool {
	for _, q := range c.said {
		if q.Error() == p.Error() {
			return true
		}
	}
	return false
}

var errUsage = errors.New("usage")

// Main runs one command line and returns the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	lang := env.I18n.Match(i18n.SystemLocale(env.Getenv))
	c := &cmdCtx{env: env, lang: lang}

	dataDir, rest, err := SplitDataDir(args)
	if err != nil {
		return c.fail(err)
	}
	c.dataDir = dataDir
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		if len(rest) > 1 {
			if cmd, ok := find(rest[1]); ok {
				c.printCommandHelp(env.Stdout, cmd, nil)
				return ExitOK
			}
		}
		c.printHelp(env.Stdout)
		return ExitOK
	}
	cmd, ok := find(rest[0])
	if !ok {
		c.fail(usage("cli.error.unknown_command", "command", rest[0]))
		c.printHelp(env.Stderr)
		return ExitUsage
	}
	c.args = rest[1:]
	defer func() {
		if c.closeFn != nil {
			c.closeFn()
		}
	}()
	return cmd.run(ctx, c)
}

func find(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func (c *cmdCtx) printHelp(w io.Writer) {
	fmt.Fprintf(w, "%s\n\n%s\n", c.t("cli.help.intro"), c.t("cli.help.usage"))
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  relink %-12s %s\n", cmd.name, c.t(cmd.summary))
	}
	fmt.Fprintf(w, "\n%s\n", c.t("cli.help.globals"))
	fmt.Fprintf(w, "%s\n", c.t("cli.help.exit_codes"))
}

func (c *cmdCtx) printCommandHelp(w io.Writer, cmd command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "relink %s %s\n  %s\n", cmd.name, c.t("cli.usage."+cmd.name), c.t(cmd.summary))
	if fs == nil {
		return
	}
	// flag.PrintDefaults writes English ("(default 50)"): list the flags
	// ourselves so the whole help is in the user's language.
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(w, "  --%s\n    \t%s", f.Name, f.Usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			fmt.Fprintf(w, " %s", c.t("cli.help.default", "value", f.DefValue))
		}
		fmt.Fprintln(w)
	})
}

// flags parses a command's flags, allowing flags after positional
// arguments (`relink check db1 --json`) as users type them.
func (c *cmdCtx) flags(name string, setup func(fs *flag.FlagSet)) ([]string, int, bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&c.json, "json", false, c.t("cli.flag.json"))
	if setup != nil {
		setup(fs)
	}
	var pos []string
	args := c.args
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				cmd, _ := find(name)
				c.printCommandHelp(c.env.Stdout, cmd, fs)
				return nil, ExitOK, false
			}
			return nil, c.fail(flagError(err)), false
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	return pos, 0, true
}

// flagError says what the flag package found wrong in the user's
// language; the package's own messages are English-only.
func flagError(err error) error {
	msg := err.Error()
	for _, m := range []struct{ prefix, code string }{
		{"flag provided but not defined: ", "cli.error.unknown_flag"},
		{"flag needs an argument: ", "cli.error.flag_needs_value"},
	} {
		if f, ok := strings.CutPrefix(msg, m.prefix); ok {
			return usage(m.code, "flag", "--"+strings.TrimLeft(f, "-"))
		}
	}
	// invalid value "x" for flag -limit: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		if v, f, ok := strings.Cut(rest, " for flag "); ok {
			f, _, _ = strings.Cut(f, ":")
			return usage("cli.error.flag_invalid", "flag", "--"+strings.TrimLeft(f, "-"), "value", strings.Trim(v, `"`))
		}
	}
	return usage("cli.error.bad_flag", "detail", msg)
}

// multiFlag collects repeated --set KEY=VALUE flags.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func parseSettings(sets []string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, usage("cli.error.bad_set", "value", s)
		}
		out[k] = v
	}
	return out, nil
}

// readSecretFiles reads --secret-file FIELD=PATH values (an SSH private
// key beside a database password). The contents go to the keychain only.
func readSecretFiles(specs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range specs {
		field, path, ok := strings.Cut(s, "=")
		field = strings.TrimSpace(field)
		if !ok || field == "" || path == "" {
			return nil, usage("cli.error.bad_secret_file", "value", s)
		}
		if rest, ok := strings.CutPrefix(path, "~/"); ok {
			// A shell leaves ~ alone after "field=" in some modes.
			if home, err := os.UserHomeDir(); err == nil {
				path = filepath.Join(home, rest)
			}
		}
		st, err := os.Stat(path)
		if err != nil || st.IsDir() {
			return nil, integration.NewError(integration.ErrInvalid, err, "cli.error.secret_file_unreadable", "path", path)
		}
		if st.Size() > 1<<16 {
			return nil, usage("cli.error.secret_file_too_long", "path", path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, integration.NewError(integration.ErrInvalid, err, "cli.error.secret_file_unreadable", "path", path)
		}
		if strings.TrimSpace(string(data)) == "" {
			return nil, usage("cli.error.secret_file_empty", "path", path)
		}
		out[field] = string(data)
	}
	return out, nil
}

// isTerminal reports whether f is an interactive terminal (not merely a
// character device: /dev/null is one too).
func isTerminal(f any) bool {
	fd, ok := f.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(fd.Fd()))
}
