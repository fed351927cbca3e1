package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The identity commands: whoami, identities, enroll, reenroll and register.

func whoamiCommand(env *Env) *cobra.Command {
	return command("whoami", "connect as --identity and show who that is and which peer answered", func(*pflag.FlagSet) Runner {
		return func(ctx context.Context, args []string) error {
			if len(args) != 0 {
				return Usagef("whoami takes no arguments")
			}
			c, err := env.Client(ctx)
			if err != nil {
				return err
			}
			id := c.Identity()
			return env.Print(struct {
				Name     string `json:"name"`
				Org      string `json:"org"`
				MSPID    string `json:"mspId"`
				Role     string `json:"role"`
				Subject  string `json:"subject"`
				Channel  string `json:"channel"`
				Peer     string `json:"peer"`
				Endpoint string `json:"endpoint"`
			}{id.Name, id.Org, id.MSPID, id.Role, id.Subject, c.Channel(), c.Peer().Name, c.Peer().Endpoint})
		}
	})
}

func identitiesCommand(env *Env) *cobra.Command {
	return command("identities", "list the identities of the network and of the wallet", func(fs *pflag.FlagSet) Runner {
		role := fs.String("role", "", "only identities holding this `role`")
		return func(ctx context.Context, args []string) error {
			if len(args) != 0 {
				return Usagef("identities takes no arguments")
			}
			out := []sdk.IdentityInfo{}
			seen := map[string]bool{}
			walletDir := env.g.wallet
			if n, err := env.Network(); err == nil {
				for _, id := range n.Identities(*role) {
					out = append(out, id)
					seen[id.Name] = true
				}
				if walletDir == "" {
					walletDir = n.WalletDir()
				}
			} else if env.g.profile == "" && walletDir == "" {
				return err
			}
			if walletDir == "" && env.g.profile != "" {
				p, err := sdk.LoadProfile(env.g.profile)
				if err != nil {
					return err
				}
				walletDir = p.Wallet
			}
			if walletDir != "" {
				w, err := sdk.OpenWallet(walletDir)
				if err != nil {
					return err
				}
				entries, err := w.List()
				if err != nil {
					return err
				}
				for _, id := range entries {
					if !seen[id.Name] && (*role == "" || id.Role == *role) {
						out = append(out, id)
					}
				}
			}
			return env.Print(out)
		}
	})
}

// caProfile finds the profile whose CA serves org: --profile, else the network's profile of org.
func caProfile(env *Env, org string) (*sdk.Profile, error) {
	if org == "" && env.g.profile != "" {
		return sdk.LoadProfile(env.g.profile)
	}
	n, err := env.Network()
	if err != nil {
		return nil, err
	}
	if org == "" {
		return nil, Usagef("no org: pass --org (or --profile)")
	}
	return n.Profile(org)
}

// walletFor opens --wallet, else the network's wallet, else the profile's.
func walletFor(env *Env, p *sdk.Profile) (*sdk.Wallet, error) {
	dir := env.g.wallet
	if dir == "" {
		if n, err := env.Network(); err == nil {
			dir = n.WalletDir()
		}
	}
	if dir == "" && p != nil {
		dir = p.Wallet
	}
	if dir == "" {
		return nil, Usagef("no wallet: pass --wallet")
	}
	return sdk.OpenWallet(dir)
}

// orgOf returns the org of a known identity, or "".
func orgOf(env *Env, name string) string {
	n, err := env.Network()
	if err != nil {
		return ""
	}
	id, err := n.Identity(name)
	if err != nil {
		return ""
	}
	if id.Org != "" {
		return id.Org
	}
	return id.MSPID
}

func enrollCommand(env *Env) *cobra.Command {
	return command("enroll --name <name> --secret <secret>", "enroll an identity with its org's Fabric CA and store it in the wallet", func(fs *pflag.FlagSet) Runner {
		name := fs.String("name", "", "enrollment `name` (default --identity); also the wallet entry name")
		secret := fs.String("secret", "", "enrollment `secret` (default $HLCTL_SECRET)")
		org := fs.String("org", "", "`org` whose CA enrolls (default: the identity's org in network.json, or --profile)")
		attrs := fs.StringSlice("attrs", nil, "certificate `attributes` to request, comma separated; a trailing ? makes one optional (e.g. role,subject)")
		return func(ctx context.Context, args []string) error {
			if len(args) != 0 {
				return Usagef("enroll takes no arguments (use --name and --secret)")
			}
			if *name == "" {
				*name = env.Identity()
			}
			if *name == "" {
				return Usagef("enroll: --name is required")
			}
			if *secret == "" {
				*secret = env.getenv("HLCTL_SECRET")
			}
			if *secret == "" {
				return Usagef("enroll: --secret is required (or set HLCTL_SECRET)")
			}
			if *org == "" && env.g.profile == "" {
				*org = orgOf(env, *name)
			}
			p, err := caProfile(env, *org)
			if err != nil {
				return err
			}
			ca, err := p.CAClient()
			if err != nil {
				return err
			}
			req := sdk.EnrollRequest{Name: *name, Secret: *secret}
			for _, a := range listValues(*attrs) {
				optional := strings.HasSuffix(a, "?")
				req.AttrReqs = append(req.AttrReqs, sdk.AttributeRequest{Name: strings.TrimSuffix(a, "?"), Optional: optional})
			}
			creds, err := ca.Enroll(ctx, req)
			if err != nil {
				return err
			}
			creds.Info.MSPID, creds.Info.Org = p.MSPID, p.Name
			w, err := walletFor(env, p)
			if err != nil {
				return err
			}
			if err := w.Put(creds); err != nil {
				return err
			}
			got, err := w.Get(*name)
			if err != nil {
				return err
			}
			env.Notef("enrolled %s into %s", *name, filepath.Join(w.Dir(), *name))
			return env.Print(got.Info)
		}
	})
}

func reenrollCommand(env *Env) *cobra.Command {
	return command("reenroll [--name <name>]", "renew a wallet identity with a new key and certificate, authenticated by its current certificate", func(fs *pflag.FlagSet) Runner {
		name := fs.String("name", "", "wallet entry `name` (default --identity)")
		org := fs.String("org", "", "`org` whose CA renews (default: the identity's org in the wallet or network.json, or --profile)")
		attrs := fs.StringSlice("attrs", nil, "certificate `attributes` to request, comma separated; a trailing ? makes one optional (default: those registered for certificates)")
		keepOld := fs.Bool("keep-old", false, "do not revoke the previous certificate at the CA (by default it is revoked, so that only the new one can renew the identity)")
		return func(ctx context.Context, args []string) error {
			if len(args) != 0 {
				return Usagef("reenroll takes no arguments (use --name)")
			}
			if *name == "" {
				*name = env.Identity()
			}
			if *name == "" {
				return Usagef("reenroll: --name (or --identity) is required")
			}
			var w *sdk.Wallet
			if env.g.wallet != "" || env.g.profile == "" {
				var err error
				if w, err = walletFor(env, nil); err != nil {
					return err
				}
			}
			var current *sdk.Credentials
			if w != nil {
				var err error
				if current, err = w.Get(*name); err != nil {
					return err
				}
				if *org == "" && env.g.profile == "" {
					*org = current.Info.Org
				}
			}
			if *org == "" && env.g.profile == "" {
				*org = orgOf(env, *name)
			}
			p, err := caProfile(env, *org)
			if err != nil {
				return err
			}
			if w == nil {
				if w, err = walletFor(env, p); err != nil {
					return err
				}
				if current, err = w.Get(*name); err != nil {
					return err
				}
			}
			if current.Info.MSPID == "" {
				current.Info.MSPID = p.MSPID
			}
			if current.Info.Org == "" {
				current.Info.Org = p.Name
			}
			ca, err := p.CAClient()
			if err != nil {
				return err
			}
			var req sdk.ReenrollRequest
			for _, a := range listValues(*attrs) {
				optional := strings.HasSuffix(a, "?")
				req.AttrReqs = append(req.AttrReqs, sdk.AttributeRequest{Name: strings.TrimSuffix(a, "?"), Optional: optional})
			}
			renewed, err := ca.Reenroll(ctx, current, req)
			if err != nil {
				return err
			}
			// The wallet replaces the entry in one step: a crash leaves the old identity or the new one.
			if err := w.Put(renewed); err != nil {
				return err
			}
			env.Notef("renewed %s in %s", *name, filepath.Join(w.Dir(), *name))
			if !*keepOld {
				if err := ca.RevokeSelf(ctx, current, "superseded"); err != nil {
					return fmt.Errorf("the new certificate of %s is in the wallet, but revoking the previous one failed (run 'hlctl reenroll' again to renew once more): %w", *name, err)
				}
				env.Notef("revoked the previous certificate of %s at the CA", *name)
			}
			got, err := w.Get(*name)
			if err != nil {
				return err
			}
			return env.Print(struct {
				sdk.IdentityInfo
				PreviousCertRevoked bool `json:"previousCertRevoked"`
			}{got.Info, !*keepOld})
		}
	})
}

func registerCommand(env *Env) *cobra.Command {
	return command("register --name <name> [--attr role=patient --attr subject=pat-1]", "register an identity with the Fabric CA, as the registrar --identity", func(fs *pflag.FlagSet) Runner {
		name := fs.String("name", "", "`name` to register")
		secret := fs.String("secret", "", "enrollment `secret` (default: 128 random bits)")
		secretFile := fs.String("secret-file", "", "write the secret to this new `file` (mode 0600) instead of printing it")
		typ := fs.String("type", "client", "identity `type`")
		aff := fs.String("affiliation", "", "`affiliation` (default: the registrar's; . for the root)")
		maxEnroll := fs.Int("max-enrollments", 0, "how many times the secret may be used (`n`; 0: the CA's default, which is 1 on network.sh's CAs; -1: unlimited, refused by a CA with a limit)")
		org := fs.String("org", "", "`org` whose CA registers (default: the registrar's org, or --profile)")
		attrs := fs.StringArray("attr", nil, "attribute `name=value`, put in certificates by default; name=value:noecert to keep it out (repeatable)")
		return func(ctx context.Context, args []string) error {
			if len(args) != 0 {
				return Usagef("register takes no arguments (use --name and --attr)")
			}
			if *name == "" {
				return Usagef("register: --name is required")
			}
			registrar := env.Identity()
			if registrar == "" {
				return Usagef("register: pass the registrar as --identity")
			}
			req := sdk.RegisterRequest{Name: *name, Secret: *secret, Type: *typ, Affiliation: *aff, MaxEnrollments: *maxEnroll}
			for _, a := range *attrs {
				k, v, ok := strings.Cut(a, "=")
				if !ok || k == "" {
					return Usagef("register: --attr %q is not name=value", a)
				}
				ecert := true
				if strings.HasSuffix(v, ":noecert") {
					v, ecert = strings.TrimSuffix(v, ":noecert"), false
				} else {
					v = strings.TrimSuffix(v, ":ecert")
				}
				req.Attributes = append(req.Attributes, sdk.Attribute{Name: k, Value: v, ECert: ecert})
			}
			if *org == "" && env.g.profile == "" {
				*org = orgOf(env, registrar)
			}
			p, err := caProfile(env, *org)
			if err != nil {
				return err
			}
			w, err := walletFor(env, p)
			if err != nil {
				return err
			}
			creds, err := w.Get(registrar)
			if err != nil {
				return err
			}
			ca, err := p.CAClient()
			if err != nil {
				return err
			}
			var file *os.File
			if *secretFile != "" {
				// Created before registering, so that a secret is never registered with nowhere to go.
				if file, err = os.OpenFile(*secretFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
					return fmt.Errorf("register: --secret-file: %w", err)
				}
				defer file.Close()
			}
			got, err := ca.Register(ctx, creds, req)
			if err != nil {
				if file != nil {
					_ = file.Close()
					_ = os.Remove(*secretFile)
				}
				return err
			}
			if file != nil {
				if _, err := file.WriteString(got + "\n"); err != nil {
					return fmt.Errorf("register: %s is registered, but writing its secret to %s failed: %w", *name, *secretFile, err)
				}
				if err := file.Sync(); err != nil {
					return fmt.Errorf("register: %s is registered, but writing its secret to %s failed: %w", *name, *secretFile, err)
				}
				return env.Print(struct {
					Name       string `json:"name"`
					SecretFile string `json:"secretFile"`
				}{*name, *secretFile})
			}
			return env.Print(struct {
				Name   string `json:"name"`
				Secret string `json:"secret"`
			}{*name, got})
		}
	})
}

// completeIdentities completes --identity with the identities of the network and of its wallet.
func completeIdentities(env *Env) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		n, err := env.Network()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []cobra.Completion
		seen := map[string]bool{}
		add := func(id sdk.IdentityInfo) {
			if !seen[id.Name] && strings.HasPrefix(id.Name, prefix) {
				seen[id.Name] = true
				names = append(names, cobra.CompletionWithDesc(id.Name, strings.TrimSpace(id.Role+" "+id.MSPID)))
			}
		}
		for _, id := range n.Identities("") {
			add(id)
		}
		if w, err := sdk.OpenWallet(n.WalletDir()); err == nil {
			entries, _ := w.List()
			for _, id := range entries {
				add(id)
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
