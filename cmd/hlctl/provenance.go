package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/provenance"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// provenanceGroup is `hlctl provenance ...`: products, batches, custody, dispensing, recalls,
// quarantine, cold chain, and `verify`, the DSCSA check a pharmacy counter runs.
func provenanceGroup(env *Env) *cobra.Command {
	return group("provenance", "drug products, batches, chain of custody, DSCSA verification", chaincodeGroupID,
		command("verify (<gtin> <serial> <lot> <expiry> | --scan <element-string>)", "verify a product identifier (the DSCSA check at the counter)", func(fs *pflag.FlagSet) Runner {
			scan := fs.String("scan", "", "GS1 `element string` as scanned, e.g. (01)00614141000418(17)270630(10)LOT1(21)S1")
			strict := fs.Bool("strict", false, "exit with a status per state (docs/hlctl.md) unless the unit is safe to dispense: verified and not suspect")
			return func(ctx context.Context, args []string) error {
				var id provenancetypes.ProductIdentifier
				switch {
				case *scan != "" && len(args) == 0:
					var err error
					if id, err = provenancetypes.ParseElementString(*scan); err != nil {
						return Usagef("provenance verify: %v", err)
					}
				case *scan == "" && len(args) == 4:
					id = provenancetypes.ProductIdentifier{GTIN: args[0], Serial: args[1], Lot: args[2], Expiry: args[3]}
				default:
					return Usagef("provenance verify (<gtin> <serial> <lot> <expiry> | --scan <element-string>)")
				}
				pc, err := provClient(ctx, env)
				if err != nil {
					return err
				}
				res, err := pc.Verify(ctx, id.GTIN, id.Serial, id.Lot, id.Expiry)
				if err != nil {
					return err
				}
				safe, state := res.SafeToDispense()
				if err := env.Print(counterAnswer{VerifyResult: res, SafeToDispense: safe, State: state}); err != nil {
					return err
				}
				if *strict && !safe {
					return &exitError{code: strictExitCode(state), err: fmt.Errorf("provenance verify: not safe to dispense: %s", state)}
				}
				return nil
			}
		}),
		provCommand(env, "unit", "<gtin> <serial>", "show a unit: status, holder, batch flags", 2, func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
			return pc.GetUnit(ctx, a[0], a[1])
		}),
		provCommand(env, "batch", "<gtin> <lot>", "show a batch", 2, func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
			return pc.GetBatch(ctx, a[0], a[1])
		}),
		provCommand(env, "product", "<gtin>", "show a product", 1, func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
			return pc.GetProduct(ctx, a[0])
		}),
		provCommand(env, "shipment", "<shipment-id>", "show a shipment", 1, func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
			return pc.GetShipment(ctx, a[0])
		}),
		provCommand(env, "register-party", "", "register the identity as a party goods can be shipped to (idempotent)", 0, func(ctx context.Context, pc *provenance.Client, _ []string) (any, error) {
			return pc.EnsureRegistered(ctx)
		}),
		provJSONCommand(env, "register-product", "register a product from a ProductSpec JSON file", func(ctx context.Context, pc *provenance.Client, spec provenancetypes.ProductSpec) (any, error) {
			return pc.RegisterProduct(ctx, spec)
		}),
		provJSONCommand(env, "commission", "commission a batch from a BatchSpec JSON file (any number of serials: chunked)", func(ctx context.Context, pc *provenance.Client, spec provenancetypes.BatchSpec) (any, error) {
			if len(spec.Serials) <= provenancetypes.MaxSerialsPerTx {
				return pc.CommissionBatch(ctx, spec)
			}
			return pc.CommissionAll(ctx, spec, spec.Serials)
		}),
		command("ship <shipment-id> <gtin> <lot> <receiver-msp>:<receiver-gln>", "ship a batch's main stock, or --serial units, to a registered party", func(fs *pflag.FlagSet) Runner {
			serials := fs.StringSlice("serial", nil, "`serials` to ship instead of the main stock (repeatable, comma separated)")
			return provRun(env, 4, "provenance ship <shipment-id> <gtin> <lot> <msp>:<gln>", func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
				to, err := provParty(a[3])
				if err != nil {
					return nil, err
				}
				spec := provenancetypes.ShipmentSpec{ShipmentID: a[0], GTIN: a[1], Lot: a[2], Receiver: to}
				if serials := listValues(*serials); len(serials) > 0 {
					spec.Serials = serials
				}
				return pc.Ship(ctx, spec)
			})
		}),
		provCommand(env, "receive", "<shipment-id>", "receive a shipment addressed to the identity", 1, func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
			return pc.Receive(ctx, a[0])
		}),
		command("dispense <gtin> <serial>", "record the dispense of a unit (pharmacists)", func(fs *pflag.FlagSet) Runner {
			eventID := fs.String("event-id", "", "`id` of the dispense, for safe retries (drawn when absent)")
			return provRun(env, 2, "provenance dispense <gtin> <serial>", func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
				return pc.Dispense(ctx, a[0], a[1], provenancetypes.EventContext{EventID: *eventID})
			})
		}),
		provUnitAction(env, "decommission", "take units (or the main stock) out of the supply chain", (*provenance.Client).Decommission),
		provUnitAction(env, "destroy", "record the destruction of units (or of the main stock)", (*provenance.Client).Destroy),
		provCommand(env, "recall", "<gtin> <lot> <reason>", "recall a batch (its manufacturer or an auditor)", 3, func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
			return pc.Recall(ctx, a[0], a[1], a[2])
		}),
		provCommand(env, "quarantine", "<gtin> <lot> <reason>", "quarantine a batch's suspect product", 3, func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
			return pc.Quarantine(ctx, a[0], a[1], a[2])
		}),
		provCommand(env, "release", "<gtin> <lot> <note>", "release a quarantined batch (its manufacturer or an auditor)", 3, func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
			return pc.ReleaseQuarantine(ctx, a[0], a[1], a[2])
		}),
		provJSONCommand(env, "readings", "record temperature readings from a ReadingsSpec JSON file", func(ctx context.Context, pc *provenance.Client, spec provenancetypes.ReadingsSpec) (any, error) {
			return pc.RecordReadings(ctx, spec)
		}),
		provCommand(env, "clear-excursion", "<gtin> <lot> <note>", "clear a batch's temperature excursion (auditors)", 3, func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
			return pc.ClearExcursion(ctx, a[0], a[1], a[2])
		}),
		provCommand(env, "flag-suspect", "<gtin> <lot> <reason>", "flag a whole batch suspect (auditors)", 3, func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
			return pc.FlagSuspect(ctx, a[0], a[1], a[2])
		}),
		command("clear-suspect <gtin> <lot> <note>", "clear a batch's suspect flag, or with --serial a unit's (auditors)", func(fs *pflag.FlagSet) Runner {
			serial := fs.String("serial", "", "a unit's `serial`: clear its own flag instead of the batch's")
			return provRun(env, 3, "provenance clear-suspect <gtin> <lot> <note> [--serial <serial>]", func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
				return pc.ClearSuspect(ctx, a[0], a[1], *serial, a[2])
			})
		}),
		command("custody <gtin> (<lot> | --serial <serial>)", "show the chain of custody of a batch or a unit", func(fs *pflag.FlagSet) Runner {
			serial := fs.String("serial", "", "a unit's `serial`: show its custody instead of the batch's")
			size, bookmark := provPageFlags(fs)
			return func(ctx context.Context, args []string) error {
				if (*serial == "" && len(args) != 2) || (*serial != "" && len(args) != 1) {
					return Usagef("provenance custody <gtin> (<lot> | --serial <serial>)")
				}
				pc, err := provClient(ctx, env)
				if err != nil {
					return err
				}
				var page *provenancetypes.EventPage
				if *serial != "" {
					page, err = pc.UnitCustody(ctx, args[0], *serial, *size, *bookmark)
				} else {
					page, err = pc.BatchCustody(ctx, args[0], args[1], *size, *bookmark)
				}
				if err != nil {
					return err
				}
				return env.Print(page)
			}
		}),
		provenanceEPCIS(env),
		command("list (--owner <msp>:<gln> | --status <status>)", "list batches by holder or by status", func(fs *pflag.FlagSet) Runner {
			owner := fs.String("owner", "", "holder `party` as <msp>:<gln>")
			status := fs.String("status", "", "batch `status`: "+strings.Join(provenancetypes.BatchStatuses(), ", "))
			size, bookmark := provPageFlags(fs)
			return provRun(env, 0, "provenance list (--owner <msp>:<gln> | --status <status>)", func(ctx context.Context, pc *provenance.Client, _ []string) (any, error) {
				switch {
				case (*owner == "") == (*status == ""):
					return nil, Usagef("provenance list: pass exactly one of --owner and --status")
				case *owner != "":
					p, err := provParty(*owner)
					if err != nil {
						return nil, err
					}
					return pc.ListBatchesByOwner(ctx, p, *size, *bookmark)
				}
				return pc.ListBatchesByStatus(ctx, *status, *size, *bookmark)
			})
		}),
	)
}

// provClient connects as --identity and returns a provenance client.
func provClient(ctx context.Context, env *Env) (*provenance.Client, error) {
	c, err := env.Client(ctx)
	if err != nil {
		return nil, err
	}
	return provenance.New(c), nil
}

// provRun checks the number of positional arguments, calls fn and prints its result.
func provRun(env *Env, nargs int, usage string, fn func(context.Context, *provenance.Client, []string) (any, error)) Runner {
	return func(ctx context.Context, args []string) error {
		if len(args) != nargs {
			return Usagef("%s", usage)
		}
		pc, err := provClient(ctx, env)
		if err != nil {
			return err
		}
		res, err := fn(ctx, pc, args)
		if err != nil {
			return err
		}
		return env.Print(res)
	}
}

// provCommand is a command without flags.
func provCommand(env *Env, name, usage, summary string, nargs int, fn func(context.Context, *provenance.Client, []string) (any, error)) *cobra.Command {
	return command(strings.TrimSpace(name+" "+usage), summary, func(*pflag.FlagSet) Runner {
		return provRun(env, nargs, strings.TrimSpace("provenance "+name+" "+usage), fn)
	})
}

// provJSONCommand is a command that reads its request, a T, from a JSON file (- for stdin).
func provJSONCommand[T any](env *Env, name, summary string, fn func(context.Context, *provenance.Client, T) (any, error)) *cobra.Command {
	return command(name+" <file.json | ->", summary, func(*pflag.FlagSet) Runner {
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return Usagef("provenance %s <file.json | ->", name)
			}
			var spec T
			if err := env.ReadJSON(args[0], "the request", &spec); err != nil {
				return err
			}
			pc, err := provClient(ctx, env)
			if err != nil {
				return err
			}
			res, err := fn(ctx, pc, spec)
			if err != nil {
				return err
			}
			return env.Print(res)
		}
	})
}

// provUnitAction is decommission or destroy: units by --serial, or the main stock.
func provUnitAction(env *Env, name, summary string, fn func(*provenance.Client, context.Context, provenancetypes.UnitAction) (*provenancetypes.Event, error)) *cobra.Command {
	return command(name+" <gtin> <lot> <reason>", summary, func(fs *pflag.FlagSet) Runner {
		serials := fs.StringSlice("serial", nil, "`serials` to act on instead of the main stock (repeatable, comma separated)")
		return provRun(env, 3, "provenance "+name+" <gtin> <lot> <reason>", func(ctx context.Context, pc *provenance.Client, a []string) (any, error) {
			action := provenancetypes.UnitAction{GTIN: a[0], Lot: a[1], Reason: a[2]}
			if serials := listValues(*serials); len(serials) > 0 {
				action.Serials = serials
			}
			return fn(pc, ctx, action)
		})
	})
}

func provPageFlags(fs *pflag.FlagSet) (*int, *string) {
	size := fs.Int("page-size", 0, "items per `page` (0: the chaincode's default)")
	bookmark := fs.String("bookmark", "", "`bookmark` of the page to fetch (from the previous page)")
	return size, bookmark
}

// provParty reads "<msp>:<gln>".
func provParty(s string) (provenancetypes.Party, error) {
	msp, gln, ok := strings.Cut(s, ":")
	if !ok || msp == "" || gln == "" {
		return provenancetypes.Party{}, Usagef("party %q: want <msp>:<gln>", s)
	}
	return provenancetypes.Party{MSPID: msp, GLN: gln}, nil
}

// counterAnswer is what `provenance verify` prints: Verify's answer and the counter's verdict on it
// (provenancetypes.VerifyResult.SafeToDispense).
type counterAnswer struct {
	*provenancetypes.VerifyResult
	SafeToDispense bool   `json:"safeToDispense"`
	State          string `json:"state"`
}

// strictExits is the exit status of `provenance verify --strict` for each counter state that is not
// safe to dispense (0 is safe; 1 and 2 stay a failed call and a usage error). The one table: docs/hlctl.md
// lists it, and a test checks that it covers provenancetypes.CounterStates with distinct codes.
func strictExits() []struct {
	state string
	code  int
} {
	return []struct {
		state string
		code  int
	}{
		{provenancetypes.VerifyUnknownSerial, 10},
		{provenancetypes.VerifyLotMismatch, 11},
		{provenancetypes.VerifyExpiryMismatch, 12},
		{provenancetypes.VerifyRecalled, 13},
		{provenancetypes.VerifyDecommissioned, 14},
		{provenancetypes.VerifyQuarantined, 15},
		{provenancetypes.VerifyExcursion, 16},
		{provenancetypes.CounterSuspect, 17},
		{provenancetypes.VerifyDispensed, 18},
		{provenancetypes.VerifyExpired, 19},
		{provenancetypes.CounterUnrecognized, 20},
	}
}

// strictExitCode returns the exit status of `provenance verify --strict` for a state that is not safe
// to dispense; a state missing from the table (none is) gets the code of an unrecognized answer.
func strictExitCode(state string) int {
	fallback := 0
	for _, e := range strictExits() {
		if e.state == state {
			return e.code
		}
		if e.state == provenancetypes.CounterUnrecognized {
			fallback = e.code
		}
	}
	return fallback
}
