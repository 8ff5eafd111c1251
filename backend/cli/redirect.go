package cli

import (
	"context"
	"fmt"
	"strings"

	"relink/backend/services"
)

// showProvider prints one provider (`relink providers PROVIDER`): its
// settings and, for OAuth, the redirect URI to register in its app.
func (c *cmdCtx) showProvider(ps []services.ProviderView, id string) int {
	for _, p := range ps {
		if p.ID != id {
			continue
		}
		if c.json {
			return c.writeJSON(p)
		}
		fmt.Fprintf(c.env.Stdout, "%s (%s) · %s\n", c.env.I18n.ProviderName(c.lang, p.ID, p.Name), p.ID, c.t("kind."+string(p.Kind)))
		for _, f := range p.Fields {
			line := "  --set " + f.Key + "=…"
			if f.Secret {
				line = "  " + f.Key + " (stdin)"
			}
			if f.Default != "" {
				line += "  [" + f.Default + "]"
			}
			fmt.Fprintln(c.env.Stdout, line)
		}
		if p.Redirect != nil {
			c.printRedirect(*p.Redirect)
		}
		return ExitOK
	}
	return c.fail(usage("error.unknown_provider", "provider", id))
}

// addHelpRedirect follows `relink add PROVIDER --help` with the redirect
// URI that PROVIDER (with the --set values given so far) would use.
func (c *cmdCtx) addHelpRedirect(ctx context.Context, sets multiFlag) {
	id := firstPositional(c.args)
	if id == "" || c.open(ctx) != nil {
		return
	}
	settings, err := parseSettings(sets)
	if err != nil {
		return
	}
	if r, err := c.core.Redirect(id, settings); err == nil {
		fmt.Fprintln(c.env.Stdout)
		c.printRedirect(r)
	}
}

func (c *cmdCtx) printRedirect(r services.RedirectView) {
	w := c.env.Stdout
	if r.Unset {
		fmt.Fprintln(w, c.t("cli.redirect.unset", "accepts", strings.Join(r.Accepts, ", ")))
	} else {
		fmt.Fprintln(w, c.t("cli.redirect.register", "uri", r.Register))
	}
	switch {
	case r.AnyPort:
		fmt.Fprintln(w, "  "+c.t("cli.redirect.any_port"))
	case r.Kind == "scheme":
		fmt.Fprintln(w, "  "+c.t("cli.redirect.scheme"))
	case r.RelayTarget != "":
		fmt.Fprintln(w, "  "+c.t("cli.redirect.https", "target", r.RelayTarget))
	}
	fmt.Fprintln(w, "  "+c.t("cli.redirect.source", "source", r.Source))
}

// firstPositional is the first argument that is neither a flag nor a
// flag's value: the PROVIDER of `relink add PROVIDER …`.
func firstPositional(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--name" || a == "-name" || a == "--set" || a == "-set" || a == "--secret-file" || a == "-secret-file":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return a
		}
	}
	return ""
}
