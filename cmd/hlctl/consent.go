package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/consent"
)

// consentGroup is `hlctl consent ...`: patient consents, decisions, the access log, delegates and
// health-record anchors.
func consentGroup() Group {
	return Group{Name: "consent", Summary: "patient consents, access decisions and log, record anchors", Commands: []Command{
		consentTermsCommand("grant", "grant a consent (from a JSON file, - for stdin, or flags)"),
		consentTermsCommand("update", "replace a consent's terms (from a JSON file, - for stdin, or flags)"),
		{
			Name: "revoke", Usage: "<consent-id>", Summary: "revoke a consent",
			Setup: func(fs *flag.FlagSet) Runner {
				reason := fs.String("reason", "", "public `reason` (never PHI)")
				return consentRun(1, "consent revoke <consent-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.Revoke(ctx, args[0], *reason)
				})
			},
		},
		{
			Name: "get", Usage: "<consent-id>", Summary: "show a consent",
			Setup: func(*flag.FlagSet) Runner {
				return consentRun(1, "consent get <consent-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.GetConsent(ctx, args[0])
				})
			},
		},
		{
			Name: "history", Usage: "<consent-id>", Summary: "show every version of a consent",
			Setup: func(*flag.FlagSet) Runner {
				return consentRun(1, "consent history <consent-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.ConsentHistory(ctx, args[0])
				})
			},
		},
		{
			Name: "list", Usage: "(--patient <id> | --grantee <grantee>)", Summary: "list consents by patient or by grantee",
			Setup: func(fs *flag.FlagSet) Runner {
				patient := fs.String("patient", "", "the patient's subject `id`")
				grantee := fs.String("grantee", "", "`grantee`: <MSPID>, <MSPID>/<role> or <MSPID>/<role>/<subject>")
				size, bookmark := consentPageFlags(fs)
				return consentRun(0, "consent list (--patient <id> | --grantee <grantee>)", func(ctx context.Context, cc *consent.Client, _ []string) (any, error) {
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
			},
		},
		{
			Name: "check", Usage: "<patient> <grantee> <action> <purpose> <class>", Summary: "ask for an access decision now",
			Setup: func(*flag.FlagSet) Runner {
				return consentRun(5, "consent check <patient> <grantee> <action> <purpose> <class>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					g, err := consenttypes.ParseGrantee(args[1])
					if err != nil {
						return nil, Usagef("consent check: %v", err)
					}
					return cc.CheckAccess(ctx, args[0], g, consenttypes.Action(args[2]), consenttypes.Purpose(args[3]), consenttypes.DataClass(args[4]))
				})
			},
		},
		{
			Name: "access", Usage: "<patient> <class> <purpose> <record-id>", Summary: "log a read of patient data (refused unless a consent permits it)",
			Setup: func(*flag.FlagSet) Runner {
				return consentRun(4, "consent access <patient> <class> <purpose> <record-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.RecordAccess(ctx, args[0], consenttypes.DataClass(args[1]), consenttypes.Purpose(args[2]), args[3])
				})
			},
		},
		{
			Name: "log", Usage: "<patient>", Summary: "list a patient's access log, newest first",
			Setup: func(fs *flag.FlagSet) Runner {
				size, bookmark := consentPageFlags(fs)
				return consentRun(1, "consent log <patient>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.ListAccessLog(ctx, args[0], *size, *bookmark)
				})
			},
		},
		{
			Name: "delegate-add", Usage: "<subject> <msp-id>", Summary: "record a delegate (guardian) of the calling patient",
			Setup: func(*flag.FlagSet) Runner {
				return consentRun(2, "consent delegate-add <subject> <msp-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.AddDelegate(ctx, args[0], args[1])
				})
			},
		},
		{
			Name: "delegate-remove", Usage: "<subject> <msp-id>", Summary: "remove a delegate of the calling patient",
			Setup: func(*flag.FlagSet) Runner {
				return consentRun(2, "consent delegate-remove <subject> <msp-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					if err := cc.RemoveDelegate(ctx, args[0], args[1]); err != nil {
						return nil, err
					}
					return map[string]string{"removed": args[1] + "/" + args[0]}, nil
				})
			},
		},
		{
			Name: "delegates", Usage: "<patient>", Summary: "list a patient's delegates",
			Setup: func(fs *flag.FlagSet) Runner {
				size, bookmark := consentPageFlags(fs)
				return consentRun(1, "consent delegates <patient>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.ListDelegates(ctx, args[0], *size, *bookmark)
				})
			},
		},
		{
			Name: "register", Usage: "<record-id> <patient> <class>", Summary: "anchor a health record (details stay private)",
			Setup: func(fs *flag.FlagSet) Runner {
				digest := consentDigestFlags(fs)
				uri := fs.String("uri", "", "the record's location `uri` (private)")
				description := fs.String("description", "", "the record's `description` (private)")
				return consentRun(3, "consent register <record-id> <patient> <class> --uri <uri> (--sha256 <hex> | --document <file>)", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					sum, err := digest()
					if err != nil {
						return nil, err
					}
					return cc.RegisterRecord(ctx, consent.RegisterRequest{
						RecordID: args[0], Patient: args[1], DataClass: consenttypes.DataClass(args[2]), SHA256: sum,
						Details: consenttypes.RecordDetails{URI: *uri, Description: *description},
					})
				})
			},
		},
		{
			Name: "verify", Usage: "<record-id>", Summary: "check a document against a record's hash",
			Setup: func(fs *flag.FlagSet) Runner {
				digest := consentDigestFlags(fs)
				return consentRun(1, "consent verify <record-id> (--sha256 <hex> | --document <file>)", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					sum, err := digest()
					if err != nil {
						return nil, err
					}
					return cc.VerifyRecord(ctx, args[0], sum)
				})
			},
		},
		{
			Name: "record", Usage: "<record-id>", Summary: "show a record's public anchor",
			Setup: func(*flag.FlagSet) Runner {
				return consentRun(1, "consent record <record-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.GetRecord(ctx, args[0])
				})
			},
		},
		{
			Name: "record-history", Usage: "<record-id>", Summary: "show every version of a record's anchor",
			Setup: func(*flag.FlagSet) Runner {
				return consentRun(1, "consent record-history <record-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.RecordHistory(ctx, args[0])
				})
			},
		},
		{
			Name: "record-details", Usage: "<record-id>", Summary: "show a record's private details (evaluated only)",
			Setup: func(*flag.FlagSet) Runner {
				return consentRun(1, "consent record-details <record-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.GetRecordDetails(ctx, args[0])
				})
			},
		},
		{
			Name: "records", Usage: "<patient>", Summary: "list a patient's record anchors",
			Setup: func(fs *flag.FlagSet) Runner {
				size, bookmark := consentPageFlags(fs)
				return consentRun(1, "consent records <patient>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.ListRecordsByPatient(ctx, args[0], *size, *bookmark)
				})
			},
		},
		{
			Name: "request-erasure", Usage: "<record-id>", Summary: "ask the custodian to erase a record's private details",
			Setup: func(fs *flag.FlagSet) Runner {
				reason := fs.String("reason", "", "public `reason` (never PHI)")
				return consentRun(1, "consent request-erasure <record-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.RequestErasure(ctx, args[0], *reason)
				})
			},
		},
		{
			Name: "erase", Usage: "<record-id>", Summary: "purge a record's private details (the hash stays)",
			Setup: func(fs *flag.FlagSet) Runner {
				reason := fs.String("reason", "", "public `reason` (never PHI)")
				return consentRun(1, "consent erase <record-id>", func(ctx context.Context, cc *consent.Client, args []string) (any, error) {
					return cc.EraseRecord(ctx, args[0], *reason)
				})
			},
		},
	}}
}

// consentRun wraps a consent command: it checks the number of positional arguments, connects, calls
// fn and prints its result.
func consentRun(nargs int, usage string, fn func(ctx context.Context, cc *consent.Client, args []string) (any, error)) Runner {
	return func(ctx context.Context, env *Env, args []string) error {
		if len(args) != nargs {
			return Usagef("usage: hlctl %s", usage)
		}
		c, err := env.Client(ctx)
		if err != nil {
			return err
		}
		out, err := fn(ctx, consent.New(c), args)
		if err != nil {
			return err
		}
		return env.Print(out)
	}
}

// consentPageFlags declares --page-size and --bookmark.
func consentPageFlags(fs *flag.FlagSet) (*int, *string) {
	size := fs.Int("page-size", 0, "items per `page` (0: the chaincode's default)")
	bookmark := fs.String("bookmark", "", "`bookmark` of the page to fetch (from the previous page)")
	return size, bookmark
}

// consentDigestFlags declares --sha256 and --document and returns a function that yields the digest.
func consentDigestFlags(fs *flag.FlagSet) func() (string, error) {
	hexSum := fs.String("sha256", "", "the document's hex SHA-256 `digest`")
	doc := fs.String("document", "", "hash this `file` instead of passing --sha256")
	return func() (string, error) {
		switch {
		case (*hexSum == "") == (*doc == ""):
			return "", Usagef("pass exactly one of --sha256 and --document")
		case *hexSum != "":
			return *hexSum, nil
		}
		data, err := os.ReadFile(*doc)
		if err != nil {
			return "", fmt.Errorf("read the document: %w", err)
		}
		return consent.Digest(data), nil
	}
}

// consentTermsCommand is grant or update: the consent comes from a JSON file (- for stdin) or from
// flags.
func consentTermsCommand(name, summary string) Command {
	return Command{
		Name: name, Usage: "[<consent.json> | -]", Summary: summary,
		Setup: func(fs *flag.FlagSet) Runner {
			id := fs.String("id", "", "consent `id` (chosen by the client)")
			patient := fs.String("patient", "", "the patient's subject `id`")
			grantee := fs.String("grantee", "", "`grantee`: <MSPID>, <MSPID>/<role> or <MSPID>/<role>/<subject>")
			decision := fs.String("decision", string(consenttypes.Permit), "`permit` or deny")
			acts := &listFlag{split: true}
			fs.Var(acts, "action", "`action`s: access, collect, use, disclose, correct (repeat or comma-separate)")
			purps := &listFlag{split: true}
			fs.Var(purps, "purpose", "`purpose`s of use: TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH ...")
			klass := &listFlag{split: true}
			fs.Var(klass, "class", "data `class`es: Observation, Condition, Claim ... or *")
			start := fs.String("start", "", "start of the period (RFC 3339 `time`)")
			end := fs.String("end", "", "end of the period (RFC 3339 `time`)")
			policy := fs.String("policy", "", "policy `uri`")
			version := fs.Int("version", 0, "for update: the `version` the change is made against (0: any)")
			return func(ctx context.Context, env *Env, args []string) error {
				var doc consenttypes.Consent
				switch len(args) {
				case 1:
					if err := consentReadFile(env, args[0], &doc); err != nil {
						return err
					}
				case 0:
					doc = consenttypes.Consent{ID: *id, Patient: *patient, Grantee: *grantee, Decision: consenttypes.Verdict(*decision), PolicyURI: *policy, Version: *version}
					for _, a := range acts.values {
						doc.Actions = append(doc.Actions, consenttypes.Action(a))
					}
					for _, p := range purps.values {
						doc.Purposes = append(doc.Purposes, consenttypes.Purpose(p))
					}
					for _, k := range klass.values {
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
		},
	}
}

func consentReadFile(env *Env, path string, doc *consenttypes.Consent) error {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(env.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return fmt.Errorf("read the consent: %w", err)
	}
	if err := consentDecodeStrict(data, doc); err != nil {
		return Usagef("the consent in %s is not a consent document: %v", path, err)
	}
	return nil
}

// consentDecodeStrict decodes one JSON consent, refusing unknown fields.
func consentDecodeStrict(data []byte, doc *consenttypes.Consent) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(doc)
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
