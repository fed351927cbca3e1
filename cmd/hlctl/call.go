package main

import (
	"context"
	"encoding/json"
	"fmt"
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
		transient := fs.StringArray("transient", nil, "transient data `key=value`; key=@file reads the value from a file (repeatable)")
		orgs := fs.StringSlice("endorsing-orgs", nil, "MSP `ids` that must endorse, comma separated")
		return func(ctx context.Context, args []string) error {
			if len(args) < 2 {
				return Usagef("%s <chaincode> <function> [args...]", name)
			}
			var opts []sdk.CallOption
			if len(*transient) > 0 {
				data, err := parseTransient(*transient)
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
