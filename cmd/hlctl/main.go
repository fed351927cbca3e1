// Command hlctl is the healthledger command line: identities (whoami, enroll, reenroll, register), raw
// evaluate / submit, event tails, the network's profile files, and one command group per chaincode.
// It is built only on the SDK (package sdk) and on cobra. See docs/hlctl.md for the reference.
//
// # Adding a chaincode command group
//
// A chaincode's commands live in their own file, cmd/hlctl/<chaincode>.go (consent.go,
// provenance.go, claims.go), which defines ONE constructor returning the group's command:
//
//	func consentGroup(env *Env) *cobra.Command {
//		return group("consent", "patient consents and record anchors", chaincodeGroupID,
//			command("get <consent-id>", "show a consent", func(fs *pflag.FlagSet) Runner {
//				// declare the command's flags on fs here, e.g. v := fs.Int("version", 0, "...")
//				return func(ctx context.Context, args []string) error {
//					if len(args) != 1 {
//						return Usagef("consent get <consent-id>") // exit code 2
//					}
//					c, err := env.Client(ctx) // connected as --identity; closed by hlctl
//					if err != nil {
//						return err
//					}
//					got, err := consent.New(c).GetConsent(ctx, args[0])
//					if err != nil {
//						return err
//					}
//					return env.Print(got) // readable by default, JSON with --json
//				}
//			}),
//		)
//	}
//
// and then adds one line to the list in [chaincodeGroups] below, e.g. `consentGroup(env),`. Nothing
// else refers to the file, so it can be added independently; there is no init() and no
// package-level command: the tree is built afresh by [run] for each invocation. Tests of a group
// use the helpers of hlctl_test.go (runHlctl with an sdk test client).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// chaincodeGroups lists the chaincode command groups. A chaincode group file adds its constructor
// here (one line).
func chaincodeGroups(env *Env) []*cobra.Command {
	return []*cobra.Command{
		consentGroup(env),
		provenanceGroup(env),
		claimsGroup(env),
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Getenv, nil)
	stop()
	os.Exit(code)
}
