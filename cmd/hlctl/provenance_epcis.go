package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/healthledger/healthledger/gateway-client/epcis"
	"github.com/healthledger/healthledger/gateway-client/epcis/epcisschema"
	"github.com/healthledger/healthledger/gateway-client/provenance"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// provenanceEPCIS is `hlctl provenance epcis (batch <gtin> <lot> | unit <gtin> <serial>)`: a chain
// of custody as an EPCIS 2.0 JSON-LD document (package epcis), printed as indented JSON whatever
// the output mode, since the document is the file to hand to another system.
func provenanceEPCIS(env *Env) *cobra.Command {
	return group("epcis", "export a chain of custody as a GS1 EPCIS 2.0 JSON-LD document", "",
		epcisCommand(env, "batch <gtin> <lot>", "export a batch's chain of custody", func(ctx context.Context, pc *provenance.Client, a []string) (*epcis.Document, error) {
			return pc.EPCISForBatch(ctx, a[0], a[1])
		}),
		epcisCommand(env, "unit <gtin> <serial>", "export a unit's chain of custody (its own events and its batch's)", func(ctx context.Context, pc *provenance.Client, a []string) (*epcis.Document, error) {
			return pc.EPCISForUnit(ctx, a[0], a[1])
		}),
	)
}

func epcisCommand(env *Env, use, summary string, export func(context.Context, *provenance.Client, []string) (*epcis.Document, error)) *cobra.Command {
	return command(use, summary, func(fs *pflag.FlagSet) Runner {
		validate := fs.Bool("validate", false, "check the document against the official GS1 EPCIS 2.0 JSON schema before printing it (exit status 1 if it fails)")
		return func(ctx context.Context, args []string) error {
			if len(args) != 2 {
				return Usagef("provenance epcis %s", use)
			}
			pc, err := provClient(ctx, env)
			if err != nil {
				return err
			}
			doc, err := export(ctx, pc, args)
			if err != nil {
				return err
			}
			raw, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				return fmt.Errorf("provenance epcis: encode the document: %w", err)
			}
			if *validate {
				v, err := epcisschema.New()
				if err != nil {
					return err
				}
				if err := v.Validate(raw); err != nil {
					return fmt.Errorf("provenance epcis: %w", err)
				}
			}
			_, err = fmt.Fprintln(env.Stdout, string(raw))
			return err
		}
	})
}
