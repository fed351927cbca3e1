package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// consentExportGroup is `hlctl consent export ...`: a consent and a patient's access log as FHIR R4
// JSON documents.
func consentExportGroup(env *Env) *cobra.Command {
	return group("export", "export a consent or an access log as FHIR R4 JSON", "",
		command("consent <consent-id>", "a consent as a FHIR R4 Consent", func(*pflag.FlagSet) Runner {
			return fhirRun(env, 1, "consent export consent <consent-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.FHIRConsent(ctx, args[0])
			})
		}),
		command("audit-events <patient-id>", "a patient's access log as a FHIR R4 Bundle (searchset) of AuditEvents", func(fs *pflag.FlagSet) Runner {
			limit := fs.Int("limit", 0, fmt.Sprintf("read at most `n` entries, newest first (0: all, up to %d)", consent.MaxFHIRAuditEvents))
			return fhirRun(env, 1, "consent export audit-events <patient-id> [--limit n]", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.FHIRAuditEvents(ctx, args[0], *limit)
			})
		}),
	)
}

// fhirRun is consentRun for an export: the document is the output, so it is written as indented JSON
// with or without --json.
func fhirRun(env *Env, nargs int, usage string, fn func(ctx context.Context, cc *consent.Client, args []string) (any, error)) Runner {
	return typedRun(env, nargs, usage, consent.New, fn, func(doc any) error { return printDocument(env, doc) })
}

// printDocument writes a FHIR document as indented JSON.
func printDocument(env *Env, doc any) error {
	raw, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("print: %w", err)
	}
	_, err = fmt.Fprintln(env.Stdout, string(raw))
	return err
}
