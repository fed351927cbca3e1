package main

import (
	"context"
	"strings"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/gateway-client/claims"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// claimsSubmitDoc is the file `hlctl claims submit` reads: the public header and the private details.
type claimsSubmitDoc struct {
	Header  claimstypes.ClaimSubmission `json:"header"`
	Details claimstypes.ClaimDetails    `json:"details"`
}

// claimsGroup is `hlctl claims ...`: coverage, claim submission, the claim life cycle and queries.
func claimsGroup(env *Env) *cobra.Command {
	return group("claims", "coverage, claims, adjudication and payment", chaincodeGroupID,
		claimsCoverageCommand(env, "coverage-register", "register a member's coverage (insurer; terms from a JSON file, - for stdin)",
			func(ctx context.Context, c *claims.Client, id string, t claimstypes.CoverageTerms) (any, error) {
				return c.RegisterCoverage(ctx, id, t)
			}),
		claimsCoverageCommand(env, "coverage-update", "replace a coverage's terms, keeping its accumulators (insurer)",
			func(ctx context.Context, c *claims.Client, id string, t claimstypes.CoverageTerms) (any, error) {
				return c.UpdateCoverage(ctx, id, t)
			}),
		claimsSimple(env, "coverage", "show a coverage's public header", func(ctx context.Context, c *claims.Client, id string) (any, error) {
			return c.GetCoverage(ctx, id)
		}),
		claimsSimple(env, "coverage-terms", "show a coverage's private terms and accumulators", func(ctx context.Context, c *claims.Client, id string) (any, error) {
			return c.GetCoverageTerms(ctx, id)
		}),
		command("submit <file|->", `submit a claim: {"header":{...},"details":{...}} (provider or pharmacist)`, func(*pflag.FlagSet) Runner {
			return claimsRun(env, 1, "claims submit <file|->", func(ctx context.Context, c *claims.Client, args []string) (any, error) {
				var doc claimsSubmitDoc
				if err := env.ReadJSON(args[0], "the claim", &doc); err != nil {
					return nil, err
				}
				return c.SubmitClaim(ctx, doc.Header, doc.Details)
			})
		}),
		claimsSimple(env, "get", "show a claim's public header", func(ctx context.Context, c *claims.Client, id string) (any, error) {
			return c.GetClaim(ctx, id)
		}),
		command("details <claim-id>", "show a claim's private details, adjudication and payment", func(fs *pflag.FlagSet) Runner {
			verify := fs.Bool("verify", false, "also check the details against the public detailsHash")
			return claimsRun(env, 1, "claims details <claim-id> [--verify]", func(ctx context.Context, c *claims.Client, args []string) (any, error) {
				if *verify {
					return c.VerifyClaimDetails(ctx, args[0])
				}
				return c.GetClaimDetails(ctx, args[0])
			})
		}),
		claimsSimple(env, "history", "show every version of a claim's public header", func(ctx context.Context, c *claims.Client, id string) (any, error) {
			return c.ClaimHistory(ctx, id)
		}),
		claimsReasonCommand(env, "pend", "ask the provider for information (insurer)", (*claims.Client).Pend),
		command("resubmit <claim-id> <details-file|->", "answer a pend with new details (provider)", func(*pflag.FlagSet) Runner {
			return claimsRun(env, 2, "claims resubmit <claim-id> <details-file|->", func(ctx context.Context, c *claims.Client, args []string) (any, error) {
				var d claimstypes.ClaimDetails
				if err := env.ReadJSON(args[1], "the claim details", &d); err != nil {
					return nil, err
				}
				return c.Resubmit(ctx, args[0], d)
			})
		}),
		claimsSimple(env, "adjudicate", "compute the claim's outcome against its coverage (insurer)", func(ctx context.Context, c *claims.Client, id string) (any, error) {
			return c.Adjudicate(ctx, id)
		}),
		command("pay <claim-id>", "record the payment of the adjudicated amount (insurer)", func(fs *pflag.FlagSet) Runner {
			amount := fs.Int64("amount-cents", -1, "the paid `amount` in cents: the adjudicated paid total")
			ref := fs.String("ref", "", "the payment `reference` (e.g. the EFT trace number)")
			return claimsRun(env, 1, "claims pay <claim-id> --amount-cents <n> --ref <reference>", func(ctx context.Context, c *claims.Client, args []string) (any, error) {
				if *amount < 0 || *ref == "" {
					return nil, Usagef("claims pay: pass --amount-cents and --ref")
				}
				return c.Pay(ctx, args[0], *amount, *ref)
			})
		}),
		claimsSimple(env, "close", "close a paid or denied claim (insurer)", func(ctx context.Context, c *claims.Client, id string) (any, error) {
			return c.Close(ctx, id)
		}),
		claimsReasonCommand(env, "appeal", "appeal a denied claim, once (provider)", (*claims.Client).Appeal),
		claimsReasonCommand(env, "void", "void a claim before adjudication (provider)", (*claims.Client).Void),
		claimsExportGroup(env),
		command("list (--provider <msp>/<subject> | --insurer <msp> | --status <status>)", "list claims by provider, insurer or status", func(fs *pflag.FlagSet) Runner {
			provider := fs.String("provider", "", "the provider as `msp/subject`, e.g. HospitalMSP/1003000126")
			insurer := fs.String("insurer", "", "the insurer organisation's `msp` id")
			status := fs.String("status", "", "the claim `status`")
			size := fs.Int("page-size", 0, "items per `page` (0: the chaincode's default)")
			bookmark := fs.String("bookmark", "", "`bookmark` of the page to fetch (from the previous page)")
			return claimsRun(env, 0, "claims list (--provider <msp>/<subject> | --insurer <msp> | --status <status>)", func(ctx context.Context, c *claims.Client, _ []string) (any, error) {
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
		}),
	)
}

// claimsRun checks the number of arguments, connects and prints what fn returns.
func claimsRun(env *Env, nargs int, usage string, fn func(ctx context.Context, c *claims.Client, args []string) (any, error)) Runner {
	return typedRun(env, nargs, usage, claims.New, fn, env.Print)
}

// claimsSimple is a command taking one id.
func claimsSimple(env *Env, name, summary string, fn func(ctx context.Context, c *claims.Client, id string) (any, error)) *cobra.Command {
	return command(name+" <id>", summary, func(*pflag.FlagSet) Runner {
		return claimsRun(env, 1, "claims "+name+" <id>", func(ctx context.Context, c *claims.Client, args []string) (any, error) {
			return fn(ctx, c, args[0])
		})
	})
}

// claimsReasonCommand is a life-cycle command taking a claim id and a public --reason.
func claimsReasonCommand(env *Env, name, summary string, fn func(*claims.Client, context.Context, string, string) (*claimstypes.ClaimHeader, error)) *cobra.Command {
	return command(name+" <claim-id> --reason <text>", summary, func(fs *pflag.FlagSet) Runner {
		reason := fs.String("reason", "", "public `reason` (never PHI)")
		return claimsRun(env, 1, "claims "+name+" <claim-id> --reason <text>", func(ctx context.Context, c *claims.Client, args []string) (any, error) {
			return fn(c, ctx, args[0], *reason)
		})
	})
}

// claimsCoverageCommand is coverage-register or coverage-update: an id and a terms file.
func claimsCoverageCommand(env *Env, name, summary string, fn func(context.Context, *claims.Client, string, claimstypes.CoverageTerms) (any, error)) *cobra.Command {
	return command(name+" <coverage-id> <terms-file|->", summary, func(*pflag.FlagSet) Runner {
		return claimsRun(env, 2, "claims "+name+" <coverage-id> <terms-file|->", func(ctx context.Context, c *claims.Client, args []string) (any, error) {
			var t claimstypes.CoverageTerms
			if err := env.ReadJSON(args[1], "the coverage terms", &t); err != nil {
				return nil, err
			}
			return fn(ctx, c, args[0], t)
		})
	})
}
