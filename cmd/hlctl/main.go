// Command hlctl is the healthledger command line: identities (whoami, enroll, register), raw
// evaluate / submit, event tails, and one command group per chaincode. It is built only on the SDK
// (package sdk). See docs/hlctl.md for the reference.
//
// # Adding a chaincode command group
//
// A chaincode's commands live in their own file, cmd/hlctl/<chaincode>.go (consent.go,
// provenance.go, claims.go), which defines ONE constructor returning a [Group]:
//
//	func consentGroup() Group {
//		return Group{Name: "consent", Summary: "patient consents and record anchors", Commands: []Command{{
//			Name: "get", Usage: "<consent-id>", Summary: "show a consent",
//			Setup: func(fs *flag.FlagSet) Runner {
//				// declare the command's flags on fs here, e.g. v := fs.Int("version", 0, "...")
//				return func(ctx context.Context, env *Env, args []string) error {
//					if len(args) != 1 {
//						return Usagef("consent get <consent-id>")
//					}
//					c, err := env.Client(ctx) // connected as --identity; closed by hlctl
//					if err != nil {
//						return err
//					}
//					got, err := consent.New(c).Get(ctx, args[0])
//					if err != nil {
//						return err
//					}
//					return env.Print(got) // readable by default, JSON with --json
//				}
//			},
//		}}}
//	}
//
// and then adds one line to the list in [chaincodeGroups] below, e.g. `consentGroup(),`. Nothing else
// refers to the file, so it can be added independently; there is no init() and no package-level
// registry. Tests of a group use the helpers of hlctl_test.go (runHlctl with an sdk test
// client).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// chaincodeGroups lists the chaincode command groups, in the order `hlctl help` shows them.
// A chaincode group file adds its constructor here (one line).
func chaincodeGroups() []Group {
	return []Group{
		consentGroup(),
		provenanceGroup(),
		claimsGroup(),
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Getenv, nil)
	stop()
	os.Exit(code)
}
