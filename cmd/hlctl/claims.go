package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/gateway-client/claims"
)

// claimsSubmitDoc is the file `hlctl claims submit` reads: the public header and the private details.
type claimsSubmitDoc struct {
	Header  claimstypes.ClaimSubmission `json:"header"`
	Details claimstypes.ClaimDetails    `json:"details"`
}

// claimsGroup is `hlctl claims ...`: coverage, claim submission, the claim life cycle and queries.
func claimsGroup() Group {
	return Group{Name: "claims", Summary: "coverage, claims, adjudication and payment", Commands: []Command{
		claimsCoverageCommand("coverage-register", "register a member's coverage (insurer; terms from a JSON file, - for stdin)",
			func(ctx context.Context, c *claims.Client, id string, t claimstypes.CoverageTerms) (any, error) {
				return c.RegisterCoverage(ctx, id, t)
			}),
		claimsCoverageCommand("coverage-update", "replace a coverage's terms, keeping its accumulators (insurer)",
			func(ctx context.Context, c *claims.Client, id string, t claimstypes.CoverageTerms) (any, error) {
				return c.UpdateCoverage(ctx, id, t)
			}),
		claimsSimple("coverage", "show a coverage's public header", func(ctx context.Context, c *claims.Client, id string) (any, error) {
			return c.GetCoverage(ctx, id)
		}),
		claimsSimple("coverage-terms", "show a coverage's private terms and accumulators", func(ctx context.Context, c *claims.Client, id string) (any, error) {
			return c.GetCoverageTerms(ctx, id)
		}),
		{
			Name: "submit", Usage: "<file|->", Summary: `submit a claim: {"header":{...},"details":{...}} (provider or pharmacist)`,
			Setup: func(*flag.FlagSet) Runner {
				return claimsRun(1, "claims submit <file|->", func(ctx context.Context, env *Env, c *claims.Client, args []string) (any, error) {
					var doc claimsSubmitDoc
					if err := claimsReadJSON(env, args[0], &doc); err != nil {
						return nil, err
					}
					return c.SubmitClaim(ctx, doc.Header, doc.Details)
				})
			},
		},
		claimsSimple("get", "show a claim's public header", func(ctx context.Context, c *claims.Client, id string) (any, error) {
			return c.GetClaim(ctx, id)
		}),
		{
			Name: "details", Usage: "<claim-id>", Summary: "show a claim's private details, adjudication and payment",
			Setup: func(fs *flag.FlagSet) Runner {
				verify := fs.Bool("verify", false, "also check the details against the public detailsHash")
				return claimsRun(1, "claims details <claim-id> [--verify]", func(ctx context.Context, _ *Env, c *claims.Client, args []string) (any, error) {
					if *verify {
						return c.VerifyClaimDetails(ctx, args[0])
					}
					return c.GetClaimDetails(ctx, args[0])
				})
			},
		},
		claimsSimple("history", "show every version of a claim's public header", func(ctx context.Context, c *claims.Client, id string) (any, error) {
			return c.ClaimHistory(ctx, id)
		}),
		claimsReasonCommand("pend", "ask the provider for information (insurer)", (*claims.Client).Pend),
		{
			Name: "resubmit", Usage: "<claim-id> <details-file|->", Summary: "answer a pend with new details (provider)",
			Setup: func(*flag.FlagSet) Runner {
				return claimsRun(2, "claims resubmit <claim-id> <details-file|->", func(ctx context.Context, env *Env, c *claims.Client, args []string) (any, error) {
					var d claimstypes.ClaimDetails
					if err := claimsReadJSON(env, args[1], &d); err != nil {
						return nil, err
					}
					return c.Resubmit(ctx, args[0], d)
				})
			},
		},
		claimsSimple("adjudicate", "compute the claim's outcome against its coverage (insurer)", func(ctx context.Context, c *claims.Client, id string) (any, error) {
			return c.Adjudicate(ctx, id)
		}),
		{
			Name: "pay", Usage: "<claim-id>", Summary: "record the payment of the adjudicated amount (insurer)",
			Setup: func(fs *flag.FlagSet) Runner {
				amount := fs.Int64("amount-cents", -1, "the paid `amount` in cents: the adjudicated paid total")
				ref := fs.String("ref", "", "the payment `reference` (e.g. the EFT trace number)")
				return claimsRun(1, "claims pay <claim-id> --amount-cents <n> --ref <reference>", func(ctx context.Context, _ *Env, c *claims.Client, args []string) (any, error) {
					if *amount < 0 || *ref == "" {
						return nil, Usagef("claims pay: pass --amount-cents and --ref")
					}
					return c.Pay(ctx, args[0], *amount, *ref)
				})
			},
		},
		claimsSimple("close", "close a paid or denied claim (insurer)", func(ctx context.Context, c *claims.Client, id string) (any, error) {
			return c.Close(ctx, id)
		}),
		claimsReasonCommand("appeal", "appeal a denied claim, once (provider)", (*claims.Client).Appeal),
		claimsReasonCommand("void", "void a claim before adjudication (provider)", (*claims.Client).Void),
		{
			Name: "list", Usage: "(--provider <msp>/<subject> | --insurer <msp> | --status <status>)", Summary: "list claims by provider, insurer or status",
			Setup: func(fs *flag.FlagSet) Runner {
				provider := fs.String("provider", "", "the provider as `msp/subject`, e.g. HospitalMSP/1003000126")
				insurer := fs.String("insurer", "", "the insurer organisation's `msp` id")
				status := fs.String("status", "", "the claim `status`")
				size := fs.Int("page-size", 0, "items per `page` (0: the chaincode's default)")
				bookmark := fs.String("bookmark", "", "`bookmark` of the page to fetch (from the previous page)")
				return claimsRun(0, "claims list (--provider <msp>/<subject> | --insurer <msp> | --status <status>)", func(ctx context.Context, _ *Env, c *claims.Client, _ []string) (any, error) {
					set := 0
					for _, v := range []string{*provider, *insurer, *status} {
						if v != "" {
							set++
						}
					}
					if set != 1 {
						return nil, Usagef("claims list: pass exactly one of --provider, --insurer and --status")
					}
					switch {
					case *provider != "":
						msp, subject, ok := strings.Cut(*provider, "/")
						if !ok {
							return nil, Usagef("claims list: --provider is <msp>/<subject>")
						}
						return c.ListClaimsByProvider(ctx, msp, subject, *size, *bookmark)
					case *insurer != "":
						return c.ListClaimsByInsurer(ctx, *insurer, *size, *bookmark)
					}
					return c.ListClaimsByStatus(ctx, claimstypes.Status(*status), *size, *bookmark)
				})
			},
		},
	}}
}

// claimsRun checks the number of arguments, connects and prints what fn returns.
func claimsRun(nargs int, usage string, fn func(ctx context.Context, env *Env, c *claims.Client, args []string) (any, error)) Runner {
	return func(ctx context.Context, env *Env, args []string) error {
		if len(args) != nargs {
			return Usagef("usage: hlctl %s", usage)
		}
		c, err := env.Client(ctx)
		if err != nil {
			return err
		}
		out, err := fn(ctx, env, claims.New(c), args)
		if err != nil {
			return err
		}
		return env.Print(out)
	}
}

// claimsSimple is a command taking one id.
func claimsSimple(name, summary string, fn func(ctx context.Context, c *claims.Client, id string) (any, error)) Command {
	return Command{
		Name: name, Usage: "<id>", Summary: summary,
		Setup: func(*flag.FlagSet) Runner {
			return claimsRun(1, "claims "+name+" <id>", func(ctx context.Context, _ *Env, c *claims.Client, args []string) (any, error) {
				return fn(ctx, c, args[0])
			})
		},
	}
}

// claimsReasonCommand is a life-cycle command taking a claim id and a public --reason.
func claimsReasonCommand(name, summary string, fn func(*claims.Client, context.Context, string, string) (*claimstypes.ClaimHeader, error)) Command {
	return Command{
		Name: name, Usage: "<claim-id> --reason <text>", Summary: summary,
		Setup: func(fs *flag.FlagSet) Runner {
			reason := fs.String("reason", "", "public `reason` (never PHI)")
			return claimsRun(1, "claims "+name+" <claim-id> --reason <text>", func(ctx context.Context, _ *Env, c *claims.Client, args []string) (any, error) {
				return fn(c, ctx, args[0], *reason)
			})
		},
	}
}

// claimsCoverageCommand is coverage-register or coverage-update: an id and a terms file.
func claimsCoverageCommand(name, summary string, fn func(context.Context, *claims.Client, string, claimstypes.CoverageTerms) (any, error)) Command {
	return Command{
		Name: name, Usage: "<coverage-id> <terms-file|->", Summary: summary,
		Setup: func(*flag.FlagSet) Runner {
			return claimsRun(2, "claims "+name+" <coverage-id> <terms-file|->", func(ctx context.Context, env *Env, c *claims.Client, args []string) (any, error) {
				var t claimstypes.CoverageTerms
				if err := claimsReadJSON(env, args[1], &t); err != nil {
					return nil, err
				}
				return fn(ctx, c, args[0], t)
			})
		},
	}
}

// claimsReadJSON reads one JSON value from a file (- for stdin), refusing unknown fields.
func claimsReadJSON(env *Env, name string, v any) error {
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(env.Stdin)
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if err := claimstypes.DecodeStrict(name, raw, v); err != nil {
		return Usagef("%v", err)
	}
	return nil
}
