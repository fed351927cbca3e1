package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// connector connects the identity chosen by the global flags; tests replace it.
type connector func(ctx context.Context, env *Env) (*sdk.Client, error)

// Env is what a command runs with: the streams, the global flags, and the connection.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	g       *globals
	getenv  func(string) string
	connect connector
	client  *sdk.Client
	network *sdk.Network
}

// JSON reports whether --json was given.
func (e *Env) JSON() bool { return e.g.json }

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
		if e.JSON() {
			_, err := fmt.Fprintln(e.Stdout, "null")
			return err
		}
		return nil
	}
	if json.Valid(payload) {
		return e.printJSON(payload)
	}
	if e.JSON() {
		return e.Print(string(payload))
	}
	_, err := fmt.Fprintln(e.Stdout, string(payload))
	return err
}

func (e *Env) printJSON(data []byte) error {
	if e.JSON() {
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
	if e.JSON() {
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

// ReadJSON decodes the one JSON value in the file name (- for stdin) into v with
// [wire.DecodeStrict]: unknown fields, and anything after the value, are refused as a usage error.
// what names the value in messages ("the consent").
func (e *Env) ReadJSON(name, what string, v any) error {
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(e.Stdin)
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	from := name
	if name == "-" {
		from = "stdin"
	}
	if err := wire.DecodeStrict(what+" in "+from, raw, v); err != nil {
		var ce *codes.Error
		if errors.As(err, &ce) {
			return Usagef("%s", ce.Message)
		}
		return Usagef("%v", err)
	}
	return nil
}

// listValues returns the values of a comma-separated list flag, trimmed, without empty ones.
func listValues(values []string) []string {
	out := []string{}
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
