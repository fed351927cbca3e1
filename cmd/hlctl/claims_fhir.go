package main

import (
	"context"
	"fmt"

	"github.com/healthledger/healthledger/gateway-client/claims"
	"github.com/healthledger/healthledger/gateway-client/fhir"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// claimsExportGroup is `hlctl claims export ...`: a claim as a FHIR R4 ExplanationOfBenefit or as an
// X12 835.
func claimsExportGroup(env *Env) *cobra.Command {
	return group("export", "export a claim as a FHIR R4 ExplanationOfBenefit or an X12 835", "",
		command("eob <claim-id>", "a claim (header, details, adjudication, payment) as a FHIR R4 ExplanationOfBenefit", func(*pflag.FlagSet) Runner {
			return claimsExportRun(env, "claims export eob <claim-id>", func(ctx context.Context, c *claims.Client, id string) error {
				eob, err := c.ExplanationOfBenefit(ctx, id)
				if err != nil {
					return err
				}
				return printDocument(env, eob)
			})
		}),
		command("835 <claim-id>", "a paid claim as an X12 005010X221A1-shaped 835 (text; --json: a JSON string)", func(fs *pflag.FlagSet) Runner {
			var opts fhir.X12Options
			fs.IntVar(&opts.Control, "control", 1, "interchange control `number` (ISA13, 1..999999999)")
			fs.StringVar(&opts.SenderID, "sender", "", "interchange sender `id` (ISA06; default the payer id)")
			fs.StringVar(&opts.ReceiverID, "receiver", "", "interchange receiver `id` (ISA08; default the provider id)")
			fs.BoolVar(&opts.Production, "production", false, "mark the interchange P (production) instead of T (test)")
			return claimsExportRun(env, "claims export 835 <claim-id> [--control n] [--sender id] [--receiver id] [--production]", func(ctx context.Context, c *claims.Client, id string) error {
				text, err := c.Remittance835(ctx, id, opts)
				if err != nil {
					return err
				}
				if env.JSON() {
					return env.Print(text)
				}
				_, err = fmt.Fprint(env.Stdout, text)
				return err
			})
		}),
	)
}

// claimsExportRun checks for one claim id, connects and runs fn, which writes the document.
func claimsExportRun(env *Env, usage string, fn func(ctx context.Context, c *claims.Client, id string) error) Runner {
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return Usagef("usage: hlctl %s", usage)
		}
		c, err := env.Client(ctx)
		if err != nil {
			return err
		}
		return fn(ctx, claims.New(c), args[0])
	}
}
