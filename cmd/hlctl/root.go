package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The help groups of the top-level commands.
const (
	coreGroupID      = "core"
	chaincodeGroupID = "chaincode"
)

// stdio are the process's streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// globals are the flags every command accepts.
type globals struct {
	profile  string
	identity string
	network  string
	mspDir   string
	wallet   string
	json     bool
	timeout  time.Duration
}

func (g *globals) register(fs *pflag.FlagSet) {
	fs.StringVar(&g.profile, "profile", g.profile, "connection profile `file` of an org (instead of --network)")
	fs.StringVar(&g.identity, "identity", g.identity, "wallet `name` of the identity to act as (default $HLCTL_IDENTITY)")
	fs.StringVar(&g.network, "network", g.network, "profiles `folder` holding network.json (default $HEALTHLEDGER_NETWORK, else <repo>/.network/profiles)")
	fs.StringVar(&g.mspDir, "msp-dir", g.mspDir, "MSP `folder` to act as, with --profile (instead of --identity)")
	fs.StringVar(&g.wallet, "wallet", g.wallet, "wallet `folder` (default: the network's or the profile's)")
	fs.BoolVar(&g.json, "json", g.json, "print JSON for scripts")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "overall `deadline` of the command (default: the SDK's per-stage timeouts)")
}

// usageError is a command line mistake; hlctl exits with code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Usagef returns a usage error: hlctl prints it and exits with code 2.
func Usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError is a failure with its own exit code (for example `provenance verify --strict` on a unit
// that is not safe to dispense). It is printed like any other failure.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Runner runs a command with its positional arguments. A usage error (see [Usagef]) exits with
// code 2, an [exitError] with its own code, any other error with code 1.
type Runner func(ctx context.Context, args []string) error

// command builds a command. use is its name followed by the synopsis of its arguments
// ("get <consent-id>"); setup declares the command's flags on fs and returns the function that runs
// it once they are parsed (the values reach it through the variables setup closed over). The global
// flags (--identity, --json ...) are there already.
func command(use, short string, setup func(fs *pflag.FlagSet) Runner) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short}
	run := setup(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error { return run(cmd.Context(), args) }
	return cmd
}

// group builds a command that holds subcommands: `hlctl <name> <command>`. Without a subcommand, or
// with an unknown one, it is a usage error.
func group(name, short, groupID string, cmds ...*cobra.Command) *cobra.Command {
	g := &cobra.Command{
		Use: name + " <command>", Short: short, GroupID: groupID, SuggestionsMinimumDistance: 2,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return Usagef("%s: unknown subcommand %q%s", name, args[0], suggest(cmd, args[0]))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmd.Help(); err != nil {
				return err
			}
			return Usagef("%s: no subcommand given", name)
		},
	}
	g.AddCommand(cmds...)
	return g
}

// suggest returns " (did you mean x?)" when a subcommand of cmd is close to typed.
func suggest(cmd *cobra.Command, typed string) string {
	if s := cmd.SuggestionsFor(typed); len(s) > 0 {
		return " (did you mean " + strings.Join(s, " or ") + "?)"
	}
	return ""
}

// newRoot builds the hlctl command tree. Every command runs with env.
func newRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "hlctl <command>",
		Short: "hlctl: the healthledger command line",
		Long: "hlctl: the healthledger command line. Identities, raw evaluate and submit, event tails, and one\n" +
			"command group per chaincode, all through the SDK. Reference: docs/hlctl.md.",
		SilenceErrors:              true,
		SilenceUsage:               true,
		SuggestionsMinimumDistance: 2,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return Usagef("unknown command %q%s", args[0], suggest(cmd, args[0]))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmd.Usage(); err != nil { // on stderr: stdout stays for results
				return err
			}
			return Usagef("no command given")
		},
	}
	// A command that holds subcommands shows "hlctl consent [command]" as its usage, not also the
	// line of the function that refuses a missing or unknown subcommand.
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(), "{{if .Runnable}}", "{{if and .Runnable (not .HasAvailableSubCommands)}}", 1))
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	env.g.register(root.PersistentFlags())
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		if cmd.HasParent() {
			return Usagef("%s: %v", strings.TrimPrefix(cmd.CommandPath(), "hlctl "), err)
		}
		return Usagef("%v", err)
	})
	root.AddGroup(
		&cobra.Group{ID: coreGroupID, Title: "Commands:"},
		&cobra.Group{ID: chaincodeGroupID, Title: "Chaincode command groups (hlctl help <group>):"},
	)
	root.SetHelpCommandGroupID(coreGroupID)
	root.SetCompletionCommandGroupID(coreGroupID)
	for _, c := range []*cobra.Command{
		whoamiCommand(env), identitiesCommand(env), enrollCommand(env), reenrollCommand(env), registerCommand(env),
		callCommand(env, false), callCommand(env, true),
		eventsGroup(env), networkGroup(env),
	} {
		if c.GroupID == "" {
			c.GroupID = coreGroupID
		}
		root.AddCommand(c)
	}
	for _, c := range chaincodeGroups(env) {
		c.GroupID = chaincodeGroupID
		root.AddCommand(c)
	}
	if err := root.RegisterFlagCompletionFunc("identity", completeIdentities(env)); err != nil {
		panic(err) // the flag is declared above
	}
	return root
}

// run runs hlctl with args (without the program name) and returns the exit code: 0, 1 for a
// failure, 2 for a usage error, or a command's own code (see exitError). connect may be nil (connect from the flags).
func run(ctx context.Context, args []string, streams stdio, getenv func(string) string, connect connector) int {
	if connect == nil {
		connect = defaultConnect
	}
	env := &Env{
		Stdin: streams.in, Stdout: streams.out, Stderr: streams.err,
		g: &globals{identity: getenv("HLCTL_IDENTITY")}, getenv: getenv, connect: connect,
	}
	root := newRoot(env)
	root.SetArgs(args)
	stop := func() {}
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		if env.g.timeout > 0 {
			ctx, cancel := context.WithTimeout(cmd.Context(), env.g.timeout)
			cmd.SetContext(ctx)
			stop = cancel
		}
	}
	err := root.ExecuteContext(ctx)
	stop()
	if env.client != nil {
		if cerr := env.client.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return report(env, err)
}

// report prints err as one line on stderr (a JSON object with --json) and returns the exit code.
func report(env *Env, err error) int {
	if err == nil {
		return 0
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	code := 1
	var ue *usageError
	var ee *exitError
	switch {
	case errors.As(err, &ue):
		code = 2
	case errors.As(err, &ee):
		code = ee.code
	}
	if env.JSON() {
		line, _ := json.Marshal(struct {
			Error string `json:"error"`
			Code  string `json:"code,omitempty"`
			Usage bool   `json:"usage,omitempty"`
		}{Error: msg, Code: string(sdk.CodeOf(err)), Usage: code == 2})
		fmt.Fprintln(env.Stderr, string(line))
		return code
	}
	if code == 2 {
		fmt.Fprintf(env.Stderr, "hlctl: %s (see hlctl help)\n", msg)
		return code
	}
	fmt.Fprintf(env.Stderr, "hlctl: %s\n", msg)
	return code
}
