package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// Group is a set of subcommands: `hlctl <Name> <command> [flags] [args]`. Each chaincode has one.
type Group struct {
	// Name is the word after hlctl (the chaincode name for a chaincode group).
	Name string
	// Summary is one line for `hlctl help`.
	Summary string
	// Commands are the group's subcommands.
	Commands []Command
}

// Command is one subcommand.
type Command struct {
	// Name is the subcommand word.
	Name string
	// Usage is the synopsis of its arguments, e.g. "<consent-id>".
	Usage string
	// Summary is one line for the help.
	Summary string
	// Setup declares the command's flags on fs and returns the function that runs the command once
	// the flags are parsed; the values reach it through the variables Setup closed over. Global flags
	// (--identity, --json ...) are already declared on fs.
	Setup func(fs *flag.FlagSet) Runner
}

// Runner runs a command with its positional arguments. A usage error (see [Usagef]) exits with
// code 2, any other error with code 1.
type Runner func(ctx context.Context, env *Env, args []string) error

// usageError is a command line mistake; hlctl exits with code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Usagef returns a usage error: hlctl prints it and exits with code 2.
func Usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
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

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.profile, "profile", g.profile, "connection profile `file` of an org (instead of --network)")
	fs.StringVar(&g.identity, "identity", g.identity, "wallet `name` of the identity to act as (default $HLCTL_IDENTITY)")
	fs.StringVar(&g.network, "network", g.network, "profiles `folder` holding network.json (default $HEALTHLEDGER_NETWORK, else <repo>/.network/profiles)")
	fs.StringVar(&g.mspDir, "msp-dir", g.mspDir, "MSP `folder` to act as, with --profile (instead of --identity)")
	fs.StringVar(&g.wallet, "wallet", g.wallet, "wallet `folder` (default: the network's or the profile's)")
	fs.BoolVar(&g.json, "json", g.json, "print JSON for scripts")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "overall `deadline` of the command (default: the SDK's per-stage timeouts)")
}

// stdio are the process's streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// connector connects the identity chosen by the global flags; tests replace it.
type connector func(ctx context.Context, env *Env) (*sdk.Client, error)

// Env is what a command runs with: the streams, the global flags, and the connection.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// JSON is true with --json.
	JSON bool

	g       *globals
	getenv  func(string) string
	connect connector
	client  *sdk.Client
	network *sdk.Network
}

// Client connects (once) as the identity the global flags chose; hlctl closes the connection when the
// command ends.
func (e *Env) Client(ctx context.Context) (*sdk.Client, error) {
	if e.client != nil {
		return e.client, nil
	}
	c, err := e.connect(ctx, e)
	if err != nil {
		return nil, err
	}
	e.client = c
	return c, nil
}

// Identity returns the --identity name (or $HLCTL_IDENTITY).
func (e *Env) Identity() string { return e.g.identity }

// Network loads the network description chosen by --network, $HEALTHLEDGER_NETWORK or
// <repo>/.network/profiles.
func (e *Env) Network() (*sdk.Network, error) {
	if e.network != nil {
		return e.network, nil
	}
	dir, err := e.networkDir()
	if err != nil {
		return nil, err
	}
	n, err := sdk.LoadNetwork(dir)
	if err != nil {
		return nil, err
	}
	e.network = n
	return n, nil
}

func (e *Env) networkDir() (string, error) {
	if e.g.network != "" {
		return e.g.network, nil
	}
	if d := e.getenv("HEALTHLEDGER_NETWORK"); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			cand := filepath.Join(dir, ".network", "profiles")
			if _, err := os.Stat(filepath.Join(cand, sdk.NetworkFile)); err == nil {
				return cand, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return "", Usagef("no network found: pass --network or --profile, or set HEALTHLEDGER_NETWORK")
}

// Print writes v: as indented JSON with --json, otherwise readably (one "key: value" per line,
// nested values indented).
func (e *Env) Print(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("print: %w", err)
	}
	return e.printJSON(data)
}

// PrintRaw writes a chaincode payload: JSON payloads as [Env.Print] does, other payloads as text.
func (e *Env) PrintRaw(payload []byte) error {
	if len(payload) == 0 {
		if e.JSON {
			_, err := fmt.Fprintln(e.Stdout, "null")
			return err
		}
		return nil
	}
	if json.Valid(payload) {
		return e.printJSON(payload)
	}
	if e.JSON {
		return e.Print(string(payload))
	}
	_, err := fmt.Fprintln(e.Stdout, string(payload))
	return err
}

func (e *Env) printJSON(data []byte) error {
	if e.JSON {
		var buf strings.Builder
		if err := indentJSON(&buf, data); err != nil {
			return err
		}
		_, err := fmt.Fprintln(e.Stdout, buf.String())
		return err
	}
	return renderReadable(e.Stdout, data)
}

// Notef writes a human note to stderr (never mixed with the results on stdout), unless --json.
func (e *Env) Notef(format string, args ...any) {
	if e.JSON {
		return
	}
	fmt.Fprintf(e.Stderr, format+"\n", args...)
}

// defaultConnect connects from the global flags.
func defaultConnect(ctx context.Context, e *Env) (*sdk.Client, error) {
	g := e.g
	var opts []sdk.Option
	if g.wallet != "" {
		opts = append(opts, sdk.WithWallet(g.wallet))
	}
	if g.profile != "" {
		switch {
		case g.mspDir != "":
			opts = append(opts, sdk.WithMSPDir(g.mspDir))
		case g.identity != "":
			opts = append(opts, sdk.WithIdentity(g.identity))
		default:
			return nil, Usagef("no identity: pass --identity or --msp-dir (or set HLCTL_IDENTITY)")
		}
		if n, err := e.Network(); err == nil {
			opts = append(opts, sdk.WithNetwork(n))
		}
		return sdk.Connect(ctx, g.profile, opts...)
	}
	if g.mspDir != "" {
		return nil, Usagef("--msp-dir needs --profile")
	}
	if g.identity == "" {
		return nil, Usagef("no identity: pass --identity (or set HLCTL_IDENTITY)")
	}
	n, err := e.Network()
	if err != nil {
		return nil, err
	}
	return n.Connect(ctx, g.identity, opts...)
}

// app is one hlctl invocation.
type app struct {
	io      stdio
	getenv  func(string) string
	connect connector
	g       globals
	builtin []Command
	groups  []Group
}

// run runs hlctl with args (without the program name) and returns the exit code. connect may be nil
// (connect from the flags).
func run(ctx context.Context, args []string, streams stdio, getenv func(string) string, connect connector) int {
	if connect == nil {
		connect = defaultConnect
	}
	a := &app{io: streams, getenv: getenv, connect: connect}
	a.g.identity = getenv("HLCTL_IDENTITY")
	a.builtin = builtinCommands()
	a.groups = append([]Group{eventsGroup()}, chaincodeGroups()...)
	err := a.dispatch(ctx, args)
	return a.report(err)
}

// report prints err as one line on stderr and returns the exit code.
func (a *app) report(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	code := 1
	var ue *usageError
	if errors.As(err, &ue) {
		code = 2
	}
	if a.g.json {
		line, _ := json.Marshal(struct {
			Error string `json:"error"`
			Code  string `json:"code,omitempty"`
			Usage bool   `json:"usage,omitempty"`
		}{Error: msg, Code: string(sdk.CodeOf(err)), Usage: code == 2})
		fmt.Fprintln(a.io.err, string(line))
		return code
	}
	if code == 2 {
		fmt.Fprintf(a.io.err, "hlctl: %s (see hlctl help)\n", msg)
		return code
	}
	fmt.Fprintf(a.io.err, "hlctl: %s\n", msg)
	return code
}

func (a *app) dispatch(ctx context.Context, args []string) error {
	top := flag.NewFlagSet("hlctl", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	a.g.register(top)
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.help(a.io.out)
			return flag.ErrHelp
		}
		return Usagef("%v", err)
	}
	rest := top.Args()
	if len(rest) == 0 {
		a.help(a.io.err)
		return Usagef("no command given")
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		if len(rest) > 0 {
			if grp, ok := a.group(rest[0]); ok {
				a.groupHelp(a.io.out, grp)
				return nil
			}
		}
		a.help(a.io.out)
		return nil
	}
	for _, c := range a.builtin {
		if c.Name == name {
			return a.runCommand(ctx, name, c, rest)
		}
	}
	grp, ok := a.group(name)
	if !ok {
		return Usagef("unknown command %q", name)
	}
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		a.groupHelp(a.io.out, grp)
		if len(rest) == 0 {
			return Usagef("%s: no subcommand given", grp.Name)
		}
		return nil
	}
	for _, c := range grp.Commands {
		if c.Name == rest[0] {
			return a.runCommand(ctx, grp.Name+" "+c.Name, c, rest[1:])
		}
	}
	return Usagef("%s: unknown subcommand %q", grp.Name, rest[0])
}

func (a *app) group(name string) (Group, bool) {
	for _, g := range a.groups {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

func (a *app) runCommand(ctx context.Context, path string, c Command, args []string) (err error) {
	fs := flag.NewFlagSet("hlctl "+path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.g.register(fs)
	var runner Runner
	if c.Setup != nil {
		runner = c.Setup(fs)
	}
	if runner == nil {
		return fmt.Errorf("%s: command has no implementation", path)
	}
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandHelp(a.io.out, path, c, fs)
			return flag.ErrHelp
		}
		return Usagef("%s: %v", path, err)
	}
	if a.g.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.g.timeout)
		defer cancel()
	}
	env := &Env{
		Stdin: a.io.in, Stdout: a.io.out, Stderr: a.io.err, JSON: a.g.json,
		g: &a.g, getenv: a.getenv, connect: a.connect,
	}
	defer func() {
		if env.client != nil {
			if cerr := env.client.Close(); cerr != nil && err == nil {
				err = cerr
			}
		}
	}()
	return runner(ctx, env, positional)
}

// parseInterleaved parses flags found anywhere among the arguments; everything after "--" is
// positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	positional := []string{}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	return append(positional, tail...), nil
}

func (a *app) help(w io.Writer) {
	fmt.Fprintln(w, "hlctl: the healthledger command line")
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "usage: hlctl [global flags] <command> [flags] [args]")
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "commands:")
	for _, c := range a.builtin {
		fmt.Fprintf(w, "  %-12s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "command groups (hlctl help <group>):")
	for _, g := range a.groups {
		fmt.Fprintf(w, "  %-12s %s\n", g.Name, g.Summary)
	}
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "global flags:")
	fs := flag.NewFlagSet("hlctl", flag.ContinueOnError)
	var g globals
	g.register(fs)
	printFlags(w, fs)
}

func (a *app) groupHelp(w io.Writer, g Group) {
	fmt.Fprintf(w, "hlctl %s: %s\n\ncommands:\n", g.Name, g.Summary)
	for _, c := range g.Commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.Name, c.Summary)
	}
}

func commandHelp(w io.Writer, path string, c Command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: hlctl %s [flags] %s\n\n%s\n\nflags:\n", path, c.Usage, c.Summary)
	printFlags(w, fs)
}

// printFlags lists flags sorted by name.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	var lines []string
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if name != "" {
			head += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "[]" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		lines = append(lines, fmt.Sprintf("%-28s %s", head, usage))
	})
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// listFlag is a repeatable flag; comma-separated values are split when split is set.
type listFlag struct {
	values []string
	split  bool
}

func (l *listFlag) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.values, ",")
}

func (l *listFlag) Set(v string) error {
	if l.split {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				l.values = append(l.values, p)
			}
		}
		return nil
	}
	l.values = append(l.values, v)
	return nil
}
