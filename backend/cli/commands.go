package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/metrics"
	"relink/backend/oauth"
	"relink/backend/safefile"
	"relink/backend/services"
)

// Core is the part of the services layer the command line uses.
type Core interface {
	ListProviders() []services.ProviderView
	Redirect(providerID string, settings map[string]string) (services.RedirectView, error)
	ListIntegrations(ctx context.Context) ([]services.IntegrationView, error)
	Find(ctx context.Context, ref string) (services.IntegrationView, error)
	Add(ctx context.Context, req services.AddRequest) (services.IntegrationView, error)
	Reauthorize(ctx context.Context, id string, opts services.ReauthOptions) (services.IntegrationView, error)
	SubmitSecret(ctx context.Context, id, secret string) (services.IntegrationView, error)
	AcceptHostKey(ctx context.Context, id, fingerprint string) (services.IntegrationView, error)
	Edit(ctx context.Context, id string, changes map[string]string) (services.IntegrationView, error)
	CheckProgress(ctx context.Context, progress func(name string, done bool), ids ...string) ([]services.IntegrationView, error)
	Token(ctx context.Context, id string) (string, error)
	History(ctx context.Context, f services.HistoryFilter) (services.HistoryPage, error)
	Remove(ctx context.Context, id string) (services.RemoveResult, error)
	Diagnostics(ctx context.Context, id string, w io.Writer) error
	Storage() services.StorageView
	Alerts() Alerts
}

// one resolves the single NAME|ID argument of a command.
func (c *cmdCtx) one(ctx context.Context, pos []string) (services.IntegrationView, error) {
	if len(pos) != 1 {
		return services.IntegrationView{}, usage("cli.error.need_integration")
	}
	if err := c.open(ctx); err != nil {
		return services.IntegrationView{}, err
	}
	return c.core.Find(ctx, pos[0])
}

// opened parses a command's flags, refuses more than max positional
// arguments and opens the data; a false ok means the command ends with code.
func (c *cmdCtx) opened(ctx context.Context, name string, setup func(fs *flag.FlagSet), max int) (pos []string, code int, ok bool) {
	pos, code, ok = c.flags(name, setup)
	if !ok {
		return nil, code, false
	}
	if len(pos) > max {
		return nil, c.fail(usage("cli.error.unexpected_arg", "arg", pos[max])), false
	}
	if err := c.open(ctx); err != nil {
		return nil, c.fail(err), false
	}
	return pos, 0, true
}

func (c *cmdCtx) writeJSON(v any) int {
	enc := json.NewEncoder(c.env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return c.fail(err)
	}
	return ExitOK
}

func runVersion(_ context.Context, c *cmdCtx) int {
	if _, code, ok := c.flags("version", nil); !ok {
		return code
	}
	if c.json {
		return c.writeJSON(map[string]string{"version": c.env.Version})
	}
	fmt.Fprintf(c.env.Stdout, "relink %s\n", c.env.Version)
	return ExitOK
}

func runProviders(ctx context.Context, c *cmdCtx) int {
	pos, code, ok := c.opened(ctx, "providers", nil, 1)
	if !ok {
		return code
	}
	ps := c.core.ListProviders()
	if len(pos) == 1 {
		return c.showProvider(ps, pos[0])
	}
	if c.json {
		return c.writeJSON(ps)
	}
	var tw table
	tw.row("", c.t("cli.col.id"), c.t("cli.col.name"), c.t("cli.col.kind"), c.t("cli.col.settings"))
	for _, p := range ps {
		var fields []string
		for _, f := range p.Fields {
			name := f.Key
			if f.Secret {
				name += "(stdin)"
			} else if f.Required {
				name += "*"
			}
			fields = append(fields, name)
		}
		tw.row("", p.ID, c.env.I18n.ProviderName(c.lang, p.ID, p.Name), c.t("kind."+string(p.Kind)), strings.Join(fields, " "))
	}
	tw.write(c.env.Stdout)
	return ExitOK
}

func runAdd(ctx context.Context, c *cmdCtx) int {
	var (
		name                         string
		sets, secretFiles            multiFlag
		secretStdin, noAuth, noBrows bool
	)
	pos, code, ok := c.flags("add", func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", c.t("cli.flag.name"))
		fs.Var(&sets, "set", c.t("cli.flag.set"))
		fs.BoolVar(&secretStdin, "secret-stdin", false, c.t("cli.flag.secret_stdin"))
		fs.Var(&secretFiles, "secret-file", c.t("cli.flag.secret_file"))
		fs.BoolVar(&noAuth, "no-auth", false, c.t("cli.flag.no_auth"))
		fs.BoolVar(&noBrows, "no-browser", false, c.t("cli.flag.no_browser"))
	})
	if !ok {
		if code == ExitOK { // --help: and what to register, for `add PROVIDER --help`
			c.addHelpRedirect(ctx, sets)
		}
		return code
	}
	if len(pos) != 1 {
		return c.fail(usage("cli.error.need_provider"))
	}
	settings, err := parseSettings(sets)
	if err != nil {
		return c.fail(err)
	}
	req := services.AddRequest{Provider: pos[0], Name: name, Settings: settings, NoVerify: noAuth}
	if req.Secrets, err = readSecretFiles(secretFiles); err != nil {
		return c.fail(err)
	}
	if err := c.open(ctx); err != nil {
		return c.fail(err)
	}
	if secretStdin {
		if req.Secret, err = c.readSecret(ctx, c.secretPrompt(c.primarySecret(pos[0]), integration.CleanName(name))); err != nil {
			return c.fail(err)
		}
	}
	view, err := c.core.Add(ctx, req)
	if err != nil {
		return c.fail(err)
	}
	if view.Kind == integration.KindOAuth2 && !noAuth {
		if view, err = c.core.Reauthorize(ctx, view.ID, c.reauthOptions(noBrows, false)); err != nil {
			rc := c.fail(err)
			c.wayOut("cli.msg.added_not_authorized", view.Name, err)
			return rc
		}
	}
	rc := c.printResult(view)
	if noAuth && rc == ExitAttention {
		// Not authorized or not checked yet, as asked: nothing went wrong.
		return ExitOK
	}
	return rc
}

// primarySecret is the key of a provider's main secret field ("" when the
// provider is unknown: Add then says so).
func (c *cmdCtx) primarySecret(provider string) string {
	for _, p := range c.core.ListProviders() {
		if p.ID != provider {
			continue
		}
		for _, f := range p.Fields {
			if f.Secret {
				return f.Key
			}
		}
	}
	return ""
}

// wayOut names, after an OAuth authorization failed, how to get unstuck:
// fix the settings and reauthorize, or remove. A cancel needs no advice.
func (c *cmdCtx) wayOut(key, name string, err error) {
	if errors.Is(err, oauth.ErrCanceled) || name == "" {
		return
	}
	fmt.Fprintln(c.env.Stderr, c.t(key, "name", quoteArg(name)))
}

// quoteArg writes a name so it can be pasted back into a shell.
func quoteArg(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func runEdit(ctx context.Context, c *cmdCtx) int {
	var sets multiFlag
	pos, code, ok := c.flags("edit", func(fs *flag.FlagSet) {
		fs.Var(&sets, "set", c.t("cli.flag.set"))
	})
	if !ok {
		return code
	}
	if len(sets) == 0 {
		return c.fail(usage("cli.error.need_set"))
	}
	changes, err := parseSettings(sets)
	if err != nil {
		return c.fail(err)
	}
	v, err := c.one(ctx, pos)
	if err != nil {
		return c.fail(err)
	}
	if v, err = c.core.Edit(ctx, v.ID, changes); err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.writeJSON(v)
	}
	fmt.Fprintln(c.env.Stdout, c.t("cli.msg.edited", "name", v.Name))
	if v.Kind == integration.KindOAuth2 && v.NeedsAttention {
		fmt.Fprintln(c.env.Stderr, c.t("cli.msg.edited_reauth", "name", quoteArg(v.Name)))
	}
	return ExitOK
}

func (c *cmdCtx) reauthOptions(noBrowser, device bool) services.ReauthOptions {
	return services.ReauthOptions{
		NoBrowser: noBrowser,
		Device:    device,
		OnURL: func(url string, opened bool) {
			if opened {
				fmt.Fprintln(c.env.Stderr, c.t("cli.msg.browser_opened"))
				return
			}
			fmt.Fprintln(c.env.Stderr, c.t("cli.msg.open_url"))
			fmt.Fprintln(c.env.Stderr, url)
		},
		OnDeviceAvailable: func() {
			fmt.Fprintln(c.env.Stderr, c.t("cli.msg.device_available"))
		},
		OnDeviceCode: func(uri, code string) {
			fmt.Fprintln(c.env.Stderr, c.t("cli.msg.device_code", "url", uri, "code", code))
		},
		ConfirmAccount: func(previous, next string) bool {
			fmt.Fprintln(c.env.Stderr, c.t("cli.msg.account_changed", "previous", previous, "account", next))
			return true
		},
	}
}

// printResult prints one integration after add/reauth; exit 3 when it
// needs attention (degraded, say), as after a check.
func (c *cmdCtx) printResult(v services.IntegrationView) int {
	rc := ExitOK
	if v.NeedsAttention {
		rc = ExitAttention
	}
	if c.json {
		if code := c.writeJSON(v); code != ExitOK {
			return code
		}
		return rc
	}
	fmt.Fprintln(c.env.Stdout, c.t("cli.msg.integration_status", "name", v.Name, "status", c.t(statusKey(v))))
	if note := c.problemNote(v); note != "" {
		fmt.Fprintln(c.env.Stdout, "    ↳ "+note)
	}
	return rc
}

// printHostKeyChanges shows both fingerprints of each changed bastion key
// and the exact command that accepts the new one.
func (c *cmdCtx) printHostKeyChanges(views []services.IntegrationView) {
	if c.json {
		return
	}
	for _, v := range views {
		if p := v.Problem; p != nil && p.Code == "problem.ssh_host_key_changed" {
			fmt.Fprintf(c.env.Stdout, "\n%s: %s\n  %s\n", v.Name, c.env.I18n.Problem(c.lang, p),
				c.t("cli.msg.accept_host_key", "name", v.Name, "new", p.Params["new"]))
		}
	}
}

func runList(ctx context.Context, c *cmdCtx) int {
	if _, code, ok := c.opened(ctx, "list", nil, 0); !ok {
		return code
	}
	views, err := c.core.ListIntegrations(ctx)
	if err != nil {
		return c.fail(err)
	}
	return c.printTable(views)
}

func (c *cmdCtx) printTable(views []services.IntegrationView) int {
	if c.json {
		if views == nil {
			views = []services.IntegrationView{}
		}
		return c.writeJSON(views)
	}
	if len(views) == 0 {
		fmt.Fprintln(c.env.Stdout, c.t("cli.msg.no_integrations"))
		return ExitOK
	}
	var tw table
	tw.row("", c.t("cli.col.id"), c.t("cli.col.name"), c.t("cli.col.provider"), c.t("cli.col.kind"),
		c.t("cli.col.account"), c.t("cli.col.status"), c.t("cli.col.cause"),
		c.t("cli.col.last_checked"), c.t("cli.col.expiry"))
	for _, v := range views {
		cause := "-"
		if v.Cause != "" {
			cause = c.t("cause." + string(v.Cause) + ".short")
		}
		tw.row(c.problemNote(v), v.ID, v.Name, v.Provider, c.t("kind."+string(v.Kind)), dash(v.Account),
			c.t(statusKey(v)), cause, c.when(v.LastChecked), c.when(expiryOf(v)))
	}
	tw.write(c.env.Stdout)
	return ExitOK
}

// statusKey names a row's status word: "Checking again…" while a
// background failure awaits confirmation.
func statusKey(v services.IntegrationView) string {
	if v.Rechecking {
		return "status.rechecking"
	}
	return "status." + string(v.Status)
}

func expiryOf(v services.IntegrationView) *time.Time {
	if v.RefreshExpiresAt != nil {
		return v.RefreshExpiresAt
	}
	return v.AccessExpiresAt
}

func (c *cmdCtx) when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runCheck(ctx context.Context, c *cmdCtx) int {
	var prom bool
	pos, code, ok := c.flags("check", func(fs *flag.FlagSet) {
		fs.BoolVar(&prom, "prometheus", false, c.t("cli.flag.prometheus"))
	})
	if !ok {
		return code
	}
	if prom && c.json {
		return c.fail(usage("cli.error.flags_exclusive", "a", "--json", "b", "--prometheus"))
	}
	if err := c.open(ctx); err != nil {
		return c.fail(err)
	}
	var ids []string
	for _, ref := range pos {
		v, err := c.core.Find(ctx, ref)
		if err != nil {
			return c.fail(err)
		}
		ids = append(ids, v.ID)
	}
	// Progress only for a person watching: --json, --prometheus and pipes
	// stay clean.
	var p *progress
	var onProgress func(string, bool)
	if !c.json && !prom && isTerminal(c.env.Stderr) {
		p = newProgress(c)
		onProgress = p.update
	}
	views, err := c.core.CheckProgress(ctx, onProgress, ids...)
	if p != nil {
		p.clear()
	}
	if err != nil {
		return c.fail(err)
	}
	if prom {
		if err := metrics.WriteText(c.env.Stdout, views); err != nil {
			return c.fail(err)
		}
	} else if rc := c.printTable(views); rc != ExitOK {
		return rc
	}
	c.printHostKeyChanges(views)
	for _, v := range views {
		if integration.NeedsAttention(v.Status) {
			return ExitAttention
		}
	}
	return ExitOK
}

func runReauth(ctx context.Context, c *cmdCtx) int {
	var noBrowser, device, secretStdin bool
	var hostKey string
	pos, code, ok := c.flags("reauth", func(fs *flag.FlagSet) {
		fs.BoolVar(&noBrowser, "no-browser", false, c.t("cli.flag.no_browser"))
		fs.BoolVar(&device, "device", false, c.t("cli.flag.device"))
		fs.BoolVar(&secretStdin, "secret-stdin", false, c.t("cli.flag.secret_stdin"))
		fs.StringVar(&hostKey, "accept-host-key", "", c.t("cli.flag.accept_host_key"))
	})
	if !ok {
		return code
	}
	if hostKey != "" && !health.ValidFingerprint(hostKey) {
		return c.fail(usage("cli.error.fingerprint_format", "value", hostKey))
	}
	v, err := c.one(ctx, pos)
	if err != nil {
		return c.fail(err)
	}
	if hostKey != "" {
		if v, err = c.core.AcceptHostKey(ctx, v.ID, hostKey); err != nil {
			return c.fail(err)
		}
		return c.printResult(v)
	}
	if v.Kind != integration.KindOAuth2 {
		if !secretStdin && isTerminal(c.env.Stdin) {
			return c.fail(usage("cli.error.secret_stdin_required"))
		}
		secret, err := c.readSecret(ctx, c.secretPrompt(v.ReauthField, v.Name))
		if err != nil {
			return c.fail(err)
		}
		if v, err = c.core.SubmitSecret(ctx, v.ID, secret); err != nil {
			return c.fail(err)
		}
		return c.printResult(v)
	}
	name := v.Name
	if v, err = c.core.Reauthorize(ctx, v.ID, c.reauthOptions(noBrowser, device)); err != nil {
		rc := c.fail(err)
		c.wayOut("cli.msg.reauth_way_out", name, err)
		return rc
	}
	return c.printResult(v)
}

func runToken(ctx context.Context, c *cmdCtx) int {
	pos, code, ok := c.flags("token", nil)
	if !ok {
		return code
	}
	v, err := c.one(ctx, pos)
	if err != nil {
		return c.fail(err)
	}
	tok, err := c.core.Token(ctx, v.ID)
	if err != nil {
		return c.fail(err)
	}
	// Nothing but the token on stdout, so `$(relink token x)` just works.
	fmt.Fprintln(c.env.Stdout, tok)
	return ExitOK
}

func runHistory(ctx context.Context, c *cmdCtx) int {
	var sinceArg string
	var limit int
	pos, code, ok := c.flags("history", func(fs *flag.FlagSet) {
		fs.StringVar(&sinceArg, "since", "", c.t("cli.flag.since"))
		fs.IntVar(&limit, "limit", 50, c.t("cli.flag.limit"))
	})
	if !ok {
		return code
	}
	if len(pos) > 1 {
		return c.fail(usage("cli.error.unexpected_arg", "arg", pos[1]))
	}
	if limit < 1 || limit > 1000 {
		return c.fail(usage("cli.error.bad_limit"))
	}
	since, err := parseSince(sinceArg)
	if err != nil {
		return c.fail(err)
	}
	if err := c.open(ctx); err != nil {
		return c.fail(err)
	}
	f := services.HistoryFilter{Limit: limit}
	if len(pos) == 1 {
		v, err := c.core.Find(ctx, pos[0])
		if err != nil {
			return c.fail(err)
		}
		f.IntegrationID = v.ID
	}
	if since > 0 {
		f.Since = time.Now().Add(-since).UTC().Format(time.RFC3339)
	}
	page, err := c.core.History(ctx, f)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		if page.Events == nil {
			page.Events = []integration.Event{}
		}
		return c.writeJSON(page.Events)
	}
	var tw table
	tw.row("", c.t("cli.col.time"), c.t("cli.col.name"), c.t("cli.col.event"), c.t("cli.col.status"), c.t("cli.col.cause"))
	for _, e := range page.Events {
		status := "-"
		if e.NewStatus != "" {
			status = c.t("status." + string(e.NewStatus))
		}
		cause := "-"
		if e.Cause != "" {
			cause = c.t("cause." + string(e.Cause) + ".short")
		}
		note := ""
		if e.Message != "" && (e.Kind == integration.EventError || e.Kind == integration.EventRemoved || integration.NeedsAttention(e.NewStatus)) {
			note = c.env.I18n.Problem(c.lang, &integration.Problem{Code: e.Message, Params: e.Params})
		}
		tw.row(note, e.Time.Local().Format("2006-01-02 15:04:05"), e.Integration, c.t("event."+string(e.Kind)), status, cause)
	}
	tw.write(c.env.Stdout)
	return ExitOK
}

// parseSince reads --since: a Go duration (90m, 24h) or whole days or
// weeks (7d, 2w), as people write them.
func parseSince(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[v[len(v)-1]]
	if unit != 0 {
		n, err := strconv.Atoi(v[:len(v)-1])
		if err != nil || n <= 0 || n > 10*366 {
			return 0, usage("cli.error.bad_since", "value", v)
		}
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usage("cli.error.bad_since", "value", v)
	}
	return d, nil
}

func runRemove(ctx context.Context, c *cmdCtx) int {
	var yes bool
	pos, code, ok := c.flags("remove", func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, c.t("cli.flag.yes"))
	})
	if !ok {
		return code
	}
	// One rule: without a terminal to ask on, only --yes confirms (a
	// piped "y" is refused like /dev/null is).
	if !yes && !isTerminal(c.env.Stdin) {
		return c.fail(usage("cli.error.confirm_needs_yes"))
	}
	v, err := c.one(ctx, pos)
	if err != nil {
		return c.fail(err)
	}
	if !yes {
		fmt.Fprint(c.env.Stderr, c.t("cli.msg.confirm_remove", "name", v.Name)+" ")
		var answer string
		fmt.Fscanln(c.env.Stdin, &answer)
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" && a != "s" && a != "si" && a != "sí" {
			fmt.Fprintln(c.env.Stderr, c.t("cli.msg.cancelled"))
			return ExitFailed
		}
	}
	res, err := c.core.Remove(ctx, v.ID)
	if err != nil {
		return c.fail(err)
	}
	// Removed here but still valid at the provider: the user must act.
	rc := ExitOK
	if res.Problem != nil {
		rc = ExitAttention
	}
	if c.json {
		if code := c.writeJSON(res); code != ExitOK {
			return code
		}
		return rc
	}
	fmt.Fprintln(c.env.Stdout, c.t("cli.msg.removed", "name", v.Name))
	if res.Problem != nil {
		fmt.Fprintln(c.env.Stderr, c.t("cli.msg.not_revoked", "name", v.Name, "problem", c.env.I18n.Problem(c.lang, res.Problem)))
		if res.RevokeURL != "" {
			fmt.Fprintln(c.env.Stderr, c.t("cli.msg.revoke_yourself", "url", res.RevokeURL))
		} else {
			fmt.Fprintln(c.env.Stderr, c.t("cli.msg.revoke_yourself_at"))
		}
	}
	return rc
}

func runDiagnostics(ctx context.Context, c *cmdCtx) int {
	var out string
	pos, code, ok := c.flags("diagnostics", func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", c.t("cli.flag.output"))
	})
	if !ok {
		return code
	}
	if out == "" {
		return c.fail(usage("cli.error.need_output"))
	}
	if len(pos) > 1 {
		return c.fail(usage("cli.error.unexpected_arg", "arg", pos[1]))
	}
	if out == "-" && isTerminal(c.env.Stdout) {
		return c.fail(usage("cli.error.output_terminal"))
	}
	if out != "-" {
		if err := checkOutput(out); err != nil {
			return c.fail(err)
		}
	}
	if err := c.open(ctx); err != nil {
		return c.fail(err)
	}
	id := ""
	if len(pos) == 1 {
		v, err := c.core.Find(ctx, pos[0])
		if err != nil {
			return c.fail(err)
		}
		id = v.ID
	}
	if out == "-" {
		// The zip itself is the output: nothing else on stdout.
		if err := c.core.Diagnostics(ctx, id, c.env.Stdout); err != nil {
			return c.fail(err)
		}
		return ExitOK
	}
	// A failed bundle never leaves a partial zip where the user expects a
	// good one.
	var bundleErr error
	err := safefile.Write(out, 0o600, func(w io.Writer) error {
		bundleErr = c.core.Diagnostics(ctx, id, w)
		return bundleErr
	})
	switch {
	case bundleErr != nil:
		return c.fail(bundleErr)
	case err != nil:
		return c.fail(integration.NewError(nil, err, "cli.error.output_unwritable", "path", out, "dir", filepath.Dir(out)))
	}
	fmt.Fprintln(c.env.Stdout, c.t("cli.msg.diagnostics_written", "path", out))
	return ExitOK
}

// checkOutput refuses an output path that cannot become a file, naming the
// path and what to do, before any work is done.
func checkOutput(out string) error {
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return usage("cli.error.output_is_dir", "path", out, "file", filepath.Join(out, "relink-diagnostics.zip"))
	}
	dir := filepath.Dir(out)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usage("cli.error.output_dir_missing", "path", out, "dir", dir)
	}
	return nil
}
