package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// callCommand is the raw evaluate (submit=false) or submit command.
func callCommand(env *Env, submit bool) *cobra.Command {
	name, summary := "evaluate", "evaluate a chaincode function (a query) and print its result"
	if submit {
		name, summary = "submit", "submit a chaincode transaction, wait for its commit, and print its result"
	}
	cmd := command(name+" <chaincode> <function> [args...]", summary, func(fs *pflag.FlagSet) Runner {
		transient := fs.StringArray("transient", nil, "transient data `key=@file` (the value is the file's content) or key=- (standard input), repeatable; never a literal value")
		orgs := fs.StringSlice("endorsing-orgs", nil, "MSP `ids` that must endorse, comma separated")
		var allowEvaluateOnly *bool
		if submit {
			allowEvaluateOnly = fs.Bool("allow-evaluate-only", false, "submit even a function that the chaincode declares evaluate-only (its answer then goes into a block)")
		}
		return func(ctx context.Context, args []string) error {
			if len(args) < 2 {
				return Usagef("%s <chaincode> <function> [args...]", name)
			}
			var opts []sdk.CallOption
			if len(*transient) > 0 {
				data, err := parseTransient(*transient, env.Stdin)
				if err != nil {
					return err
				}
				opts = append(opts, sdk.WithTransient(data))
			}
			if orgs := listValues(*orgs); len(orgs) > 0 {
				opts = append(opts, sdk.WithEndorsingOrgs(orgs...))
			}
			c, err := env.Client(ctx)
			if err != nil {
				return err
			}
			k := c.Contract(args[0])
			if !submit {
				// A function that answers sealed gets a seal key and its answer opened. Metadata
				// that cannot be read (a system chaincode) means a plain call: a sealed function
				// refuses one, so nothing private is answered in the clear.
				info, err := describe(ctx, k, args[1])
				call := k.Evaluate
				if err == nil && info.sealed {
					call = k.EvaluateSealed
				}
				res, err := call(ctx, args[1], args[2:], opts...)
				if err != nil {
					return err
				}
				return env.PrintRaw(res)
			}
			info, err := describe(ctx, k, args[1])
			if !*allowEvaluateOnly {
				if err != nil {
					return err
				}
				if info.evaluateOnly {
					return Usagef("%s.%s is declared evaluate-only: submitting it would write its answer into a block that every org keeps; use evaluate, or pass --allow-evaluate-only", args[0], args[1])
				}
			}
			submitTx := k.SubmitTx
			if err == nil && info.sealed {
				// The block gets the sealed envelope; the user sees the plain answer.
				submitTx = k.SubmitSealed
			}
			tx, err := submitTx(ctx, args[1], args[2:], opts...)
			if err != nil {
				return err
			}
			if env.JSON() {
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
	})
	cmd.ValidArgsFunction = completeChaincodes(env)
	return cmd
}

// completeChaincodes completes the first argument with the chaincodes of the network.
func completeChaincodes(env *Env) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		n, err := env.Network()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, cc := range n.Chaincodes() {
			if strings.HasPrefix(cc, prefix) {
				out = append(out, cc)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// fnInfo is what the contract metadata says of a function.
type fnInfo struct {
	evaluateOnly bool // tagged evaluate: clients evaluate it
	sealed       bool // it answers a sealed envelope (package chaincode/seal): its answer is private
}

// describe reads the chaincode's contract metadata for fn, which may name its contract
// ("Contract:Function"). A function the metadata does not list is neither evaluate-only nor sealed:
// the chaincode refuses it anyway. A chaincode whose metadata cannot be read is an error, so that a
// private read is never submitted by mistake.
func describe(ctx context.Context, k *sdk.Contract, fn string) (fnInfo, error) {
	raw, err := k.Evaluate(ctx, "org.hyperledger.fabric:GetMetadata", nil)
	if err != nil {
		return fnInfo{}, fmt.Errorf("reading the contract metadata, to tell whether %s is evaluate-only (--allow-evaluate-only skips this): %w", fn, err)
	}
	var md struct {
		Contracts map[string]struct {
			Transactions []struct {
				Name    string   `json:"name"`
				Tag     []string `json:"tag"`
				Returns struct {
					Ref string `json:"$ref"`
				} `json:"returns"`
			} `json:"transactions"`
		} `json:"contracts"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &md); err != nil {
		return fnInfo{}, fmt.Errorf("the contract metadata is not JSON, so whether %s is evaluate-only is unknown (--allow-evaluate-only skips this): %w", fn, err)
	}
	contract, name, qualified := strings.Cut(fn, ":")
	if !qualified {
		contract, name = "", fn
	}
	var info fnInfo
	for cname, c := range md.Contracts {
		if qualified && cname != contract {
			continue
		}
		for _, tx := range c.Transactions {
			if tx.Name != name {
				continue
			}
			for _, tag := range tx.Tag {
				if strings.EqualFold(tag, "evaluate") {
					info.evaluateOnly = true
				}
			}
			if ref, ok := strings.CutPrefix(tx.Returns.Ref, "#/components/schemas/"); ok {
				props := md.Components.Schemas[ref].Properties
				_, hasSealed := props["sealed"]
				_, hasBox := props["box"]
				if hasSealed && hasBox && len(props) == 2 {
					info.sealed = true
				}
			}
		}
	}
	return info, nil
}

// parseTransient reads --transient values: key=@file takes the file's content, key=- standard input
// (once). A literal value is refused: transient data is often private, and a command line ends up
// in shell history and in every process listing.
func parseTransient(values []string, stdin io.Reader) (map[string][]byte, error) {
	out := make(map[string][]byte, len(values))
	usedStdin := false
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, Usagef("--transient %q is not key=@file or key=-", kv)
		}
		if _, dup := out[k]; dup {
			return nil, Usagef("--transient %s is given twice", k)
		}
		switch file, isFile := strings.CutPrefix(v, "@"); {
		case isFile && file != "":
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("transient %s: %w", k, err)
			}
			out[k] = data
		case v == "-":
			if usedStdin {
				return nil, Usagef("--transient %s=-: standard input is already the value of another key", k)
			}
			usedStdin = true
			data, err := io.ReadAll(io.LimitReader(stdin, maxTransientBytes+1))
			if err != nil {
				return nil, fmt.Errorf("transient %s: reading standard input: %w", k, err)
			}
			if len(data) > maxTransientBytes {
				return nil, Usagef("--transient %s=-: standard input holds more than %d bytes", k, maxTransientBytes)
			}
			out[k] = data
		default:
			return nil, Usagef("--transient %s takes its value from a file (%s=@FILE) or standard input (%s=-), never from the command line, where shell history and process listings would keep it", k, k, k)
		}
	}
	return out, nil
}

// maxTransientBytes bounds a transient value read from standard input (the peers' gRPC limit is
// 100 MB; no healthledger transaction takes anything near 4 MiB).
const maxTransientBytes = 4 << 20

// typedRun wraps a command of a chaincode's typed client: it checks the number of positional
// arguments, connects, makes the typed client with newClient, calls fn and writes its result with
// print.
func typedRun[C any](env *Env, nargs int, usage string, newClient func(*sdk.Client) C,
	fn func(ctx context.Context, c C, args []string) (any, error), print func(any) error) Runner {
	return func(ctx context.Context, args []string) error {
		if len(args) != nargs {
			return Usagef("usage: hlctl %s", usage)
		}
		c, err := env.Client(ctx)
		if err != nil {
			return err
		}
		out, err := fn(ctx, newClient(c), args)
		if err != nil {
			return err
		}
		return print(out)
	}
}
