package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// builtinCommands are the commands that are not chaincode groups.
func builtinCommands() []Command {
	return []Command{
		whoamiCommand(),
		identitiesCommand(),
		enrollCommand(),
		registerCommand(),
		callCommand(false),
		callCommand(true),
	}
}

func whoamiCommand() Command {
	return Command{
		Name:    "whoami",
		Summary: "connect as --identity and show who that is and which peer answered",
		Setup: func(*flag.FlagSet) Runner {
			return func(ctx context.Context, env *Env, args []string) error {
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
		},
	}
}

func identitiesCommand() Command {
	return Command{
		Name:    "identities",
		Summary: "list the identities of the network and of the wallet",
		Setup: func(fs *flag.FlagSet) Runner {
			role := fs.String("role", "", "only identities holding this `role`")
			return func(ctx context.Context, env *Env, args []string) error {
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
		},
	}
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

func enrollCommand() Command {
	return Command{
		Name:    "enroll",
		Usage:   "--name <name> --secret <secret>",
		Summary: "enroll an identity with its org's Fabric CA and store it in the wallet",
		Setup: func(fs *flag.FlagSet) Runner {
			name := fs.String("name", "", "enrollment `name` (default --identity); also the wallet entry name")
			secret := fs.String("secret", "", "enrollment `secret` (default $HLCTL_SECRET)")
			org := fs.String("org", "", "`org` whose CA enrolls (default: the identity's org in network.json, or --profile)")
			attrs := &listFlag{split: true}
			fs.Var(attrs, "attrs", "certificate `attributes` to request, comma separated; a trailing ? makes one optional (e.g. role,subject)")
			return func(ctx context.Context, env *Env, args []string) error {
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
				for _, a := range attrs.values {
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
		},
	}
}

func registerCommand() Command {
	return Command{
		Name:    "register",
		Usage:   "--name <name> [--attr role=patient --attr subject=pat-1]",
		Summary: "register an identity with the Fabric CA, as the registrar --identity",
		Setup: func(fs *flag.FlagSet) Runner {
			name := fs.String("name", "", "`name` to register")
			secret := fs.String("secret", "", "enrollment `secret` (default: chosen by the CA)")
			typ := fs.String("type", "client", "identity `type`")
			aff := fs.String("affiliation", "", "`affiliation` (default: the registrar's; . for the root)")
			maxEnroll := fs.Int("max-enrollments", 0, "how many times the secret may be used (`n`; 0: the CA's default, -1: unlimited)")
			org := fs.String("org", "", "`org` whose CA registers (default: the registrar's org, or --profile)")
			attrs := &listFlag{}
			fs.Var(attrs, "attr", "attribute `name=value`, put in certificates by default; name=value:noecert to keep it out (repeatable)")
			return func(ctx context.Context, env *Env, args []string) error {
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
				for _, a := range attrs.values {
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
				got, err := ca.Register(ctx, creds, req)
				if err != nil {
					return err
				}
				return env.Print(struct {
					Name   string `json:"name"`
					Secret string `json:"secret"`
				}{*name, got})
			}
		},
	}
}

// callCommand is the raw evaluate (submit=false) or submit command.
func callCommand(submit bool) Command {
	name, summary := "evaluate", "evaluate a chaincode function (a query) and print its result"
	if submit {
		name, summary = "submit", "submit a chaincode transaction, wait for its commit, and print its result"
	}
	return Command{
		Name:    name,
		Usage:   "<chaincode> <function> [args...]",
		Summary: summary,
		Setup: func(fs *flag.FlagSet) Runner {
			transient := &listFlag{}
			fs.Var(transient, "transient", "transient data `key=value`; key=@file reads the value from a file (repeatable)")
			orgs := &listFlag{split: true}
			fs.Var(orgs, "endorsing-orgs", "MSP `ids` that must endorse, comma separated")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) < 2 {
					return Usagef("%s <chaincode> <function> [args...]", name)
				}
				var opts []sdk.CallOption
				if len(transient.values) > 0 {
					data, err := parseTransient(transient.values)
					if err != nil {
						return err
					}
					opts = append(opts, sdk.WithTransient(data))
				}
				if len(orgs.values) > 0 {
					opts = append(opts, sdk.WithEndorsingOrgs(orgs.values...))
				}
				c, err := env.Client(ctx)
				if err != nil {
					return err
				}
				k := c.Contract(args[0])
				if !submit {
					res, err := k.Evaluate(ctx, args[1], args[2:], opts...)
					if err != nil {
						return err
					}
					return env.PrintRaw(res)
				}
				tx, err := k.SubmitTx(ctx, args[1], args[2:], opts...)
				if err != nil {
					return err
				}
				if env.JSON {
					var result any = json.RawMessage("null")
					switch {
					case len(tx.Result) == 0:
					case json.Valid(tx.Result):
						result = json.RawMessage(tx.Result)
					default:
						result = string(tx.Result)
					}
					return env.Print(struct {
						TransactionID string `json:"transactionId"`
						BlockNumber   uint64 `json:"blockNumber"`
						Attempts      int    `json:"attempts"`
						Result        any    `json:"result"`
					}{tx.TransactionID, tx.BlockNumber, tx.Attempts, result})
				}
				env.Notef("committed %s in block %d", tx.TransactionID, tx.BlockNumber)
				return env.PrintRaw(tx.Result)
			}
		},
	}
}

func parseTransient(values []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(values))
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, Usagef("--transient %q is not key=value", kv)
		}
		if file, isFile := strings.CutPrefix(v, "@"); isFile {
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("transient %s: %w", k, err)
			}
			out[k] = data
			continue
		}
		out[k] = []byte(v)
	}
	return out, nil
}

// eventsGroup holds the event tails.
func eventsGroup() Group {
	return Group{
		Name:    "events",
		Summary: "follow chaincode events or blocks, resuming from a checkpoint",
		Commands: []Command{
			{
				Name:    "tail",
				Usage:   "<chaincode>",
				Summary: "print a chaincode's events as they commit; resumes after the last one checkpointed",
				Setup: func(fs *flag.FlagSet) Runner {
					o := tailFlags(fs)
					return func(ctx context.Context, env *Env, args []string) error {
						if len(args) != 1 {
							return Usagef("events tail <chaincode>")
						}
						return tailChaincode(ctx, env, args[0], o)
					}
				},
			},
			{
				Name:    "blocks",
				Summary: "print committed blocks (transactions, status, event names); resumes after the last one checkpointed",
				Setup: func(fs *flag.FlagSet) Runner {
					o := tailFlags(fs)
					return func(ctx context.Context, env *Env, args []string) error {
						if len(args) != 0 {
							return Usagef("events blocks takes no arguments")
						}
						return tailBlocks(ctx, env, o)
					}
				},
			},
		},
	}
}

type tailOptions struct {
	checkpoint   *string
	noCheckpoint *bool
	fromBlock    *int64
	count        *int
}

func tailFlags(fs *flag.FlagSet) tailOptions {
	return tailOptions{
		checkpoint:   fs.String("checkpoint", "", "checkpoint `file` (default: <state dir>/<channel>-<stream>-<identity>.json; state dir $HLCTL_STATE_DIR or ~/.local/state/hlctl)"),
		noCheckpoint: fs.Bool("no-checkpoint", false, "keep no checkpoint: start at --from-block or at the next block"),
		fromBlock:    fs.Int64("from-block", -1, "start at block `n` when the checkpoint is empty"),
		count:        fs.Int("count", 0, "stop after `n` events (0: run until interrupted)"),
	}
}

// eventOptions builds the stream options; it returns the checkpoint path used ("" for none).
func (o tailOptions) eventOptions(env *Env, c *sdk.Client, stream string) ([]sdk.EventOption, string, error) {
	var opts []sdk.EventOption
	if *o.fromBlock >= 0 {
		opts = append(opts, sdk.WithStartBlock(uint64(*o.fromBlock)))
	}
	opts = append(opts, sdk.WithReconnectNotify(func(attempt int, err error) {
		env.Notef("reconnecting (attempt %d): %s", attempt, strings.Join(strings.Fields(err.Error()), " "))
	}))
	if *o.noCheckpoint {
		if *o.checkpoint != "" {
			return nil, "", Usagef("--checkpoint and --no-checkpoint exclude each other")
		}
		return opts, "", nil
	}
	path := *o.checkpoint
	if path == "" {
		dir := env.getenv("HLCTL_STATE_DIR")
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, "", fmt.Errorf("no state folder: %w (pass --checkpoint)", err)
			}
			dir = filepath.Join(home, ".local", "state", "hlctl")
		}
		who := c.Identity().Name
		if who == "" {
			who = "anonymous"
		}
		path = filepath.Join(dir, fmt.Sprintf("%s-%s-%s.json", c.Channel(), stream, who))
	}
	cp, err := sdk.NewCheckpointFile(path)
	if err != nil {
		return nil, "", err
	}
	return append(opts, sdk.WithCheckpoint(cp)), path, nil
}

func tailChaincode(ctx context.Context, env *Env, chaincode string, o tailOptions) error {
	c, err := env.Client(ctx)
	if err != nil {
		return err
	}
	opts, path, err := o.eventOptions(env, c, chaincode)
	if err != nil {
		return err
	}
	s, err := c.ChaincodeEvents(ctx, chaincode, opts...)
	if err != nil {
		return err
	}
	defer s.Close()
	if path != "" {
		cp := s.Checkpoint()
		env.Notef("following %s events from block %d (checkpoint %s)", chaincode, cp.BlockNumber, path)
	}
	for n := 0; *o.count == 0 || n < *o.count; n++ {
		e, err := s.Next(ctx)
		if err != nil {
			return streamEnd(ctx, err)
		}
		// Print, then checkpoint: at-least-once. A process killed (SIGKILL, crash) between the two
		// prints this one event again when it restarts; an interrupt (Ctrl-C, SIGTERM) only ends
		// Next, never this step, so it repeats nothing. Checkpointing first would be at-most-once
		// (an event lost), which is worse for an audit tail.
		if err := printEvent(env, e); err != nil {
			return err
		}
		if err := s.Ack(e); err != nil {
			return err
		}
	}
	return nil
}

func printEvent(env *Env, e sdk.ChaincodeEvent) error {
	var payload any = string(e.Payload)
	if json.Valid(e.Payload) {
		payload = json.RawMessage(e.Payload)
	}
	view := struct {
		Block         uint64 `json:"blockNumber"`
		TransactionID string `json:"transactionId"`
		Chaincode     string `json:"chaincode"`
		Name          string `json:"name"`
		Payload       any    `json:"payload"`
	}{e.BlockNumber, e.TransactionID, e.Chaincode, e.Name, payload}
	if env.JSON {
		// One event per line, for scripts.
		line, err := json.Marshal(view)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(env.Stdout, string(line))
		return err
	}
	body := string(e.Payload)
	if json.Valid(e.Payload) {
		compact, err := json.Marshal(json.RawMessage(e.Payload))
		if err == nil {
			body = string(compact)
		}
	}
	_, err := fmt.Fprintf(env.Stdout, "block %d tx %s %s.%s %s\n", e.BlockNumber, shortID(e.TransactionID), e.Chaincode, e.Name, body)
	return err
}

func tailBlocks(ctx context.Context, env *Env, o tailOptions) error {
	c, err := env.Client(ctx)
	if err != nil {
		return err
	}
	opts, path, err := o.eventOptions(env, c, "blocks")
	if err != nil {
		return err
	}
	s, err := c.BlockEvents(ctx, opts...)
	if err != nil {
		return err
	}
	defer s.Close()
	if path != "" {
		env.Notef("following blocks from block %d (checkpoint %s)", s.Checkpoint().BlockNumber, path)
	}
	for n := 0; *o.count == 0 || n < *o.count; n++ {
		b, err := s.Next(ctx)
		if err != nil {
			return streamEnd(ctx, err)
		}
		if env.JSON {
			line, err := json.Marshal(b)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintln(env.Stdout, string(line)); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(env.Stdout, "block %d: %d transactions\n", b.Number, len(b.Transactions))
			for _, tx := range b.Transactions {
				names := make([]string, 0, len(tx.Events))
				for _, ev := range tx.Events {
					names = append(names, ev.Chaincode+"."+ev.Name)
				}
				fmt.Fprintf(env.Stdout, "  %s %s %s %s\n", shortID(tx.ID), tx.Type, tx.Status, strings.Join(names, " "))
			}
		}
		if err := s.Ack(b); err != nil {
			return err
		}
	}
	return nil
}

// streamEnd turns the end of a tail into the command's result: an interrupt is a clean exit.
func streamEnd(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		if errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return nil
	}
	return err
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
