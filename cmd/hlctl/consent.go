package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// consentGroup is `hlctl consent ...`: patient consents, decisions, the access log, delegates and
// health-record anchors.
func consentGroup(env *Env) *cobra.Command {
	return group("consent", "patient consents, access decisions and log, record anchors", chaincodeGroupID,
		consentTermsCommand(env, "grant", "grant a consent (from a JSON file, - for stdin, or flags)"),
		consentTermsCommand(env, "update", "replace a consent's terms (from a JSON file, - for stdin, or flags)"),
		consentExportGroup(env),
		command("register-patient", "bind the calling patient's id to this identity's key (before any other write)", func(*pflag.FlagSet) Runner {
			return consentRun(env, 0, "consent register-patient", func(ctx context.Context, cc *consent.Client, _ []string) (any, error) {
				return cc.RegisterPatient(ctx)
			})
		}),
		command("patient <patient-id>", "show a patient's binding (MSP, key hash, epoch)", func(*pflag.FlagSet) Runner {
			return consentRun(env, 1, "consent patient <patient-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.GetPatient(ctx, args[0])
			})
		}),
		command("approve-recovery <patient-id> <new-key-hash>", "approve, as an org admin, a patient's recovery to a new key", func(*pflag.FlagSet) Runner {
			return consentRun(env, 2, "consent approve-recovery <patient-id> <new-key-hash>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.ApproveRecovery(ctx, args[0], args[1])
			})
		}),
		command("complete-recovery", "bind the calling patient to this identity's key, once organisations approved it", func(*pflag.FlagSet) Runner {
			return consentRun(env, 0, "consent complete-recovery", func(ctx context.Context, cc *consent.Client, _ []string) (any, error) {
				return cc.CompleteRecovery(ctx)
			})
		}),
		command("revoke <consent-id>", "revoke a consent", func(fs *pflag.FlagSet) Runner {
			reason := fs.String("reason", "", "public `reason` (never PHI)")
			return consentRun(env, 1, "consent revoke <consent-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.Revoke(ctx, args[0], *reason)
			})
		}),
		command("get <consent-id>", "show a consent", func(*pflag.FlagSet) Runner {
			return consentRun(env, 1, "consent get <consent-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.GetConsent(ctx, args[0])
			})
		}),
		command("history <consent-id>", "show every version of a consent", func(*pflag.FlagSet) Runner {
			return consentRun(env, 1, "consent history <consent-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.ConsentHistory(ctx, args[0])
			})
		}),
		command("list (--patient <id> | --grantee <grantee>)", "list consents by patient or by grantee", func(fs *pflag.FlagSet) Runner {
			patient := fs.String("patient", "", "the patient's subject `id`")
			grantee := fs.String("grantee", "", "`grantee`: <MSPID>, <MSPID>/<role> or <MSPID>/<role>/<subject>")
			size, bookmark := consentPageFlags(fs)
			return consentRun(env, 0, "consent list (--patient <id> | --grantee <grantee>)", func(ctx context.Context, cc *consent.Client, _ []string) (any, error) {
				switch {
				case (*patient == "") == (*grantee == ""):
					return nil, Usagef("consent list: pass exactly one of --patient and --grantee")
				case *patient != "":
					return cc.ListConsentsByPatient(ctx, *patient, *size, *bookmark)
				}
				g, err := consenttypes.ParseGrantee(*grantee)
				if err != nil {
					return nil, Usagef("consent list: %v", err)
				}
				return cc.ListConsentsByGrantee(ctx, g, *size, *bookmark)
			})
		}),
		command("check <patient> <grantee> <action> <purpose> <class>", "ask for an access decision now", func(*pflag.FlagSet) Runner {
			return consentRun(env, 5, "consent check <patient> <grantee> <action> <purpose> <class>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				g, err := consenttypes.ParseGrantee(args[1])
				if err != nil {
					return nil, Usagef("consent check: %v", err)
				}
				return cc.CheckAccess(ctx, args[0], g, consenttypes.Action(args[2]), consenttypes.Purpose(args[3]), consenttypes.DataClass(args[4]))
			})
		}),
		command("access <patient> <class> <purpose> <record-id>", "log a read of patient data (refused unless a consent permits it)", func(*pflag.FlagSet) Runner {
			return consentRun(env, 4, "consent access <patient> <class> <purpose> <record-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.RecordAccess(ctx, args[0], consenttypes.DataClass(args[1]), consenttypes.Purpose(args[2]), args[3])
			})
		}),
		command("log <patient>", "list a patient's access log, newest first", func(fs *pflag.FlagSet) Runner {
			size, bookmark := consentPageFlags(fs)
			return consentRun(env, 1, "consent log <patient>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.ListAccessLog(ctx, args[0], *size, *bookmark)
			})
		}),
		command("delegate-add <subject> <msp-id>", "record a delegate (guardian) of the calling patient", func(*pflag.FlagSet) Runner {
			return consentRun(env, 2, "consent delegate-add <subject> <msp-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.AddDelegate(ctx, args[0], args[1])
			})
		}),
		command("delegate-remove <subject> <msp-id>", "remove a delegate of the calling patient", func(*pflag.FlagSet) Runner {
			return consentRun(env, 2, "consent delegate-remove <subject> <msp-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				if err := cc.RemoveDelegate(ctx, args[0], args[1]); err != nil {
					return nil, err
				}
				return map[string]string{"removed": args[1] + "/" + args[0]}, nil
			})
		}),
		command("delegates <patient>", "list a patient's delegates", func(fs *pflag.FlagSet) Runner {
			size, bookmark := consentPageFlags(fs)
			return consentRun(env, 1, "consent delegates <patient>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.ListDelegates(ctx, args[0], *size, *bookmark)
			})
		}),
		command("register <record-id> <patient> <class>", "anchor a health record under a fresh salt (details and salt stay private)", func(fs *pflag.FlagSet) Runner {
			doc := fs.String("document", "", "the record's document `file`: its anchor is its HMAC-SHA256 under the salt")
			uri := fs.String("uri", "", "the record's location `uri` (private)")
			description := fs.String("description", "", "the record's `description` (private)")
			salt := fs.String("salt", "", "the record's `salt` (base64 of at least 16 random bytes; default: a fresh one)")
			return consentRun(env, 3, "consent register <record-id> <patient> <class> --uri <uri> --document <file> [--salt <base64>]", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				if *doc == "" {
					return nil, Usagef("pass --document: the anchor is computed from the document and the salt")
				}
				data, err := os.ReadFile(*doc)
				if err != nil {
					return nil, fmt.Errorf("read the document: %w", err)
				}
				return cc.RegisterRecord(ctx, consent.RegisterRequest{
					RecordID: args[0], Patient: args[1], DataClass: consenttypes.DataClass(args[2]), Document: data,
					Details: consenttypes.RecordDetails{URI: *uri, Description: *description, Salt: *salt},
				})
			})
		}),
		command("verify <record-id>", "check a document against a record's salted anchor", func(fs *pflag.FlagSet) Runner {
			anchor := consentAnchorFlags(fs)
			return consentRun(env, 1, "consent verify <record-id> (--anchor <hex> | --document <file> --salt <base64>)", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				sum, err := anchor()
				if err != nil {
					return nil, err
				}
				return cc.VerifyRecord(ctx, args[0], sum)
			})
		}),
		command("record <record-id>", "show a record's public anchor", func(*pflag.FlagSet) Runner {
			return consentRun(env, 1, "consent record <record-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.GetRecord(ctx, args[0])
			})
		}),
		command("record-history <record-id>", "show every version of a record's anchor", func(*pflag.FlagSet) Runner {
			return consentRun(env, 1, "consent record-history <record-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.RecordHistory(ctx, args[0])
			})
		}),
		command("record-details <record-id>", "show a record's private details (evaluated only)", func(*pflag.FlagSet) Runner {
			return consentRun(env, 1, "consent record-details <record-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.GetRecordDetails(ctx, args[0])
			})
		}),
		command("records <patient>", "list a patient's record anchors", func(fs *pflag.FlagSet) Runner {
			size, bookmark := consentPageFlags(fs)
			return consentRun(env, 1, "consent records <patient>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.ListRecordsByPatient(ctx, args[0], *size, *bookmark)
			})
		}),
		command("request-erasure <record-id>", "ask the custodian to erase a record's private details", func(fs *pflag.FlagSet) Runner {
			reason := fs.String("reason", "", "public `reason` (never PHI)")
			return consentRun(env, 1, "consent request-erasure <record-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.RequestErasure(ctx, args[0], *reason)
			})
		}),
		command("erase <record-id>", "purge a record's private details (the hash stays)", func(fs *pflag.FlagSet) Runner {
			reason := fs.String("reason", "", "public `reason` (never PHI)")
			return consentRun(env, 1, "consent erase <record-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
				return cc.EraseRecord(ctx, args[0], *reason)
			})
		}),
	)
}

// consentRun wraps a consent command: it checks the number of positional arguments, connects, calls
// fn and prints its result.
func consentRun(env *Env, nargs int, usage string, fn func(ctx context.Context, cc *consent.Client, args []string) (any, error)) Runner {
	return typedRun(env, nargs, usage, consent.New, fn, env.Print)
}

// consentPageFlags declares --page-size and --bookmark.
func consentPageFlags(fs *pflag.FlagSet) (*int, *string) {
	size := fs.Int("page-size", 0, "items per `page` (0: the chaincode's default)")
	bookmark := fs.String("bookmark", "", "`bookmark` of the page to fetch (from the previous page)")
	return size, bookmark
}

// consentAnchorFlags declares --anchor, --document and --salt and returns a function that yields the
// anchor: given, or the document's HMAC-SHA256 under the salt.
func consentAnchorFlags(fs *pflag.FlagSet) func() (string, error) {
	hexAnchor := fs.String("anchor", "", "the record's hex `anchor` (HMAC-SHA256 of the document under its salt)")
	doc := fs.String("document", "", "compute the anchor of this `file` (with --salt) instead of passing --anchor")
	salt := fs.String("salt", "", "the record's `salt` (base64), from whoever handed over the record")
	return func() (string, error) {
		switch {
		case (*hexAnchor == "") == (*doc == ""):
			return "", Usagef("pass exactly one of --anchor and --document")
		case *hexAnchor != "":
			return *hexAnchor, nil
		case *salt == "":
			return "", Usagef("--document needs the record's --salt")
		}
		data, err := os.ReadFile(*doc)
		if err != nil {
			return "", fmt.Errorf("read the document: %w", err)
		}
		anchor, err := consenttypes.Anchor(*salt, data)
		if err != nil {
			return "", fmt.Errorf("compute the anchor: %w", err)
		}
		return anchor, nil
	}
}

// consentTermsCommand is grant or update: the consent comes from a JSON file (- for stdin) or from
// flags.
func consentTermsCommand(env *Env, name, summary string) *cobra.Command {
	return command(name+" [<consent.json> | -]", summary, func(fs *pflag.FlagSet) Runner {
		id := fs.String("id", "", "consent `id` (chosen by the client)")
		patient := fs.String("patient", "", "the patient's subject `id`")
		grantee := fs.String("grantee", "", "`grantee`: <MSPID>, <MSPID>/<role> or <MSPID>/<role>/<subject>")
		decision := fs.String("decision", string(consenttypes.Permit), "`permit` or deny")
		acts := fs.StringSlice("action", nil, "`action`s: access, collect, use, disclose, correct (repeat or comma-separate)")
		purps := fs.StringSlice("purpose", nil, "`purpose`s of use: TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH ...")
		klass := fs.StringSlice("class", nil, "data `class`es: Observation, Condition, Claim ... or *")
		start := fs.String("start", "", "start of the period (RFC 3339 `time`)")
		end := fs.String("end", "", "end of the period (RFC 3339 `time`)")
		policy := fs.String("policy", "", "policy `uri`")
		version := fs.Int("version", 0, "for update: the `version` the change is made against (0: any)")
		return func(ctx context.Context, args []string) error {
			var doc consenttypes.Consent
			switch len(args) {
			case 1:
				if err := env.ReadJSON(args[0], "the consent", &doc); err != nil {
					return err
				}
			case 0:
				doc = consenttypes.Consent{ID: *id, Patient: *patient, Grantee: *grantee, Decision: consenttypes.Verdict(*decision), PolicyURI: *policy, Version: *version}
				for _, a := range listValues(*acts) {
					doc.Actions = append(doc.Actions, consenttypes.Action(a))
				}
				for _, p := range listValues(*purps) {
					doc.Purposes = append(doc.Purposes, consenttypes.Purpose(p))
				}
				for _, k := range listValues(*klass) {
					doc.Classes = append(doc.Classes, consenttypes.DataClass(k))
				}
				var err error
				if doc.Period.Start, err = consentParseTime("start", *start); err != nil {
					return err
				}
				if doc.Period.End, err = consentParseTime("end", *end); err != nil {
					return err
				}
			default:
				return Usagef("usage: hlctl consent %s [<consent.json> | -]", name)
			}
			c, err := env.Client(ctx)
			if err != nil {
				return err
			}
			cc := consent.New(c)
			var out *consenttypes.Consent
			if name == "grant" {
				out, err = cc.Grant(ctx, doc)
			} else {
				out, err = cc.Update(ctx, doc)
			}
			if err != nil {
				return err
			}
			return env.Print(out)
		}
	})
}

func consentParseTime(what, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, Usagef("--%s: want an RFC 3339 time such as 2026-01-31T00:00:00Z", what)
	}
	return t, nil
}
