// Package ccguard stands in front of contractapi's router in every healthledger chaincode, so that a
// client can always tell its own mistake from a server fault, and no input costs more than its bound.
//
// # What it refuses, and how
//
// [Chaincode.Invoke] checks a call before contractapi parses anything, cheapest check first:
//
//   - a function the contract does not have (a blank name, a lower-case or "Contract:"-prefixed alias
//     included): INVALID_ARGUMENT: unknown function "Name";
//   - a wrong number of arguments, too few or too many: INVALID_ARGUMENT: Grant takes 1 argument, got 2;
//   - an argument longer than the transaction's bound ([Func.MaxArg]), or a transient field the
//     transaction reads that is longer than its bound ([Func.Transient]): INVALID_ARGUMENT, naming
//     the argument's position or the field, never repeating its content. Transient fields the
//     transaction does not read pass unread: a chaincode that another one calls sees its caller's
//     transient data;
//   - an argument that does not parse as its parameter's type (a page size that is not an integer):
//     INVALID_ARGUMENT: argument 2 of ListClaimsByStatus must be an integer.
//
// What contractapi answers then keeps its stable code, moved to the front of the message. A failure
// without one (which no contract should produce) becomes INTERNAL; so does a panic, which no longer
// takes the chaincode server down. The text of either goes to the guard's log, not to the client,
// because it may quote the input.
//
// # Bounds
//
// Every transaction of the contract needs its [Func] in the [Limits] given to [New], and New refuses
// a table that misses one or names a function the contract lacks: a new transaction cannot ship
// without a bound. The chaincodes keep their tables in limits.go and document them in the Limits
// section of docs/<chaincode>.md. Bounds inside a document (list lengths, field lengths) are the
// contract's own checks, which run right after decoding and before any work that grows with the input.
package ccguard

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// MetadataFunction is contractapi's system function that answers the chaincode's metadata. The guard
// lets it through with no argument and no transient data.
const MetadataFunction = contractapi.SystemContractName + ":GetMetadata"

// AnyField, as a key of [Func.Transient], bounds every transient field the map does not name. The
// healthledger chaincodes never use it: they name each field they read. Test contracts do.
const AnyField = "*"

// Func bounds the raw input of one transaction.
type Func struct {
	// MaxArg is the largest size in bytes of any one argument.
	MaxArg int
	// Transient names the transient fields the transaction reads, each with its largest size in
	// bytes. The guard checks no other field: the transaction never reads it.
	Transient map[string]int
}

// Limits holds the bounds of every transaction of a chaincode, by function name.
type Limits map[string]Func

// Chaincode is a contractapi chaincode behind the guard. It is a shim.Chaincode; it keeps no state
// between calls, so one value serves concurrent transactions.
type Chaincode struct {
	cc     *contractapi.ContractChaincode
	funcs  map[string]guarded
	ser    *codedSerializer
	log    io.Writer
	nameOf string // the chaincode's name in log lines
}

// guarded is one transaction: its parameter types (the context aside) and its bounds.
type guarded struct {
	params []reflect.Type
	limits Func
}

// Option configures a Chaincode.
type Option func(*Chaincode)

// WithLog sends the guard's log (panics and uncoded failures, with their text) to w instead of
// os.Stderr.
func WithLog(w io.Writer) Option {
	return func(g *Chaincode) { g.log = w }
}

// New builds the chaincode of contract with contractapi.NewChaincode and puts the guard in front of
// it. limits must bound every transaction of the contract and nothing else, each with a positive
// MaxArg and positive transient sizes.
func New(contract contractapi.ContractInterface, limits Limits, opts ...Option) (*Chaincode, error) {
	sigs, err := signatures(contract)
	if err != nil {
		return nil, err
	}
	limits = withShared(sigs, limits)
	if err := checkLimits(sigs, limits); err != nil {
		return nil, err
	}
	cc, err := contractapi.NewChaincode(contract)
	if err != nil {
		return nil, err
	}
	ser := &codedSerializer{}
	cc.TransactionSerializer = ser
	g := &Chaincode{cc: cc, funcs: map[string]guarded{}, ser: ser, log: os.Stderr, nameOf: cc.DefaultContract}
	for name, params := range sigs {
		g.funcs[name] = guarded{params: params, limits: limits[name]}
	}
	g.funcs[MetadataFunction] = guarded{limits: Func{MaxArg: 1}}
	for _, o := range opts {
		o(g)
	}
	return g, nil
}

// checkLimits refuses a table that does not bound exactly the contract's transactions.
func checkLimits(sigs map[string][]reflect.Type, limits Limits) error {
	var missing, extra, bad []string
	for name := range sigs {
		if _, ok := limits[name]; !ok {
			missing = append(missing, name)
		}
	}
	for name, f := range limits {
		if _, ok := sigs[name]; !ok {
			extra = append(extra, name)
			continue
		}
		if f.MaxArg <= 0 {
			bad = append(bad, name)
		}
		for _, n := range f.Transient {
			if n <= 0 {
				bad = append(bad, name)
			}
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	slices.Sort(bad)
	switch {
	case len(missing) > 0:
		return fmt.Errorf("ccguard: no limits for %s", strings.Join(missing, ", "))
	case len(extra) > 0:
		return fmt.Errorf("ccguard: limits for functions the contract lacks: %s", strings.Join(extra, ", "))
	case len(bad) > 0:
		return fmt.Errorf("ccguard: limits that are not positive for %s", strings.Join(slices.Compact(bad), ", "))
	}
	return nil
}

// Info is the chaincode's metadata info (title, version), which a main may fill in.
func (g *Chaincode) Info() *metadata.InfoMetadata { return &g.cc.Info }

// Transactions returns the names of the contract's transactions, sorted.
func (g *Chaincode) Transactions() []string {
	out := make([]string, 0, len(g.funcs))
	for name := range g.funcs {
		if name != MetadataFunction {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Limits returns the bounds of transaction fn, and false when the contract has no such transaction.
func (g *Chaincode) Limits(fn string) (Func, bool) {
	f, ok := g.funcs[fn]
	if !ok || fn == MetadataFunction {
		return Func{}, false
	}
	return f.limits, true
}

// Init answers the instantiate call as contractapi does: success without a function name, else as
// Invoke.
func (g *Chaincode) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	if fn, _ := stub.GetFunctionAndParameters(); fn == "" {
		return shim.Success(nil)
	}
	return g.Invoke(stub)
}

// Invoke checks the call (see the package documentation), then lets contractapi route it.
func (g *Chaincode) Invoke(stub shim.ChaincodeStubInterface) (resp *peer.Response) {
	fn, params := stub.GetFunctionAndParameters()
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(g.log, "ccguard: %s.%s tx %s panicked: %v\n%s", g.nameOf, fn, stub.GetTxID(), p, debug.Stack())
			resp = shim.Error(codes.New(codes.Internal, "%s failed unexpectedly (a panic, logged by the chaincode server)", cut(fn)).Error())
		}
	}()
	if err := g.check(stub, fn, params); err != nil {
		return shim.Error(err.Error())
	}
	resp = g.cc.Invoke(stub)
	if resp.GetStatus() < shim.ERRORTHRESHOLD {
		return resp
	}
	msg := resp.GetMessage()
	if ce, ok := codes.Parse(msg); ok {
		if !strings.HasPrefix(msg, string(ce.Code)+": ") {
			// contractapi put its own words in front ("error managing parameter param1. ").
			msg = ce.Error()
		}
		return shim.Error(msg)
	}
	fmt.Fprintf(g.log, "ccguard: %s.%s tx %s failed without a stable code: %s\n", g.nameOf, fn, stub.GetTxID(), msg)
	return shim.Error(codes.New(codes.Internal, "%s failed without a stable code (logged by the chaincode server)", fn).Error())
}

// check refuses a call the contract would refuse uncoded, or whose input exceeds its bounds.
func (g *Chaincode) check(stub shim.ChaincodeStubInterface, fn string, params []string) error {
	f, ok := g.funcs[fn]
	if !ok {
		return ccutil.UnknownFunction(fn)
	}
	if len(params) != len(f.params) {
		return codes.New(codes.InvalidArgument, "%s takes %s, got %d", fn, plural(len(f.params), "argument"), len(params))
	}
	for i, p := range params {
		if len(p) > f.limits.MaxArg {
			return codes.New(codes.InvalidArgument, "argument %d of %s is %d bytes, more than its limit of %d", i+1, fn, len(p), f.limits.MaxArg)
		}
	}
	if err := checkTransient(stub, fn, f.limits.Transient); err != nil {
		return err
	}
	for i, t := range f.params {
		if t.Kind() == reflect.String {
			continue
		}
		if _, err := g.ser.FromString(params[i], t, nil, nil); err != nil {
			return codes.New(codes.InvalidArgument, "argument %d of %s must be %s", i+1, fn, describe(t))
		}
	}
	return nil
}

// checkTransient refuses a transient field that fn reads and that exceeds its bound. Fields fn does
// not read are let through unread: a chaincode that another one calls sees its caller's transient
// data (the client's proposal), so they may be the caller's. Unread, they cost nothing.
func checkTransient(stub shim.ChaincodeStubInterface, fn string, bounds map[string]int) error {
	if len(bounds) == 0 {
		return nil
	}
	m, err := stub.GetTransient()
	if err != nil {
		return codes.New(codes.InvalidArgument, "the transient data of the call cannot be read")
	}
	for k, v := range m {
		max, ok := bounds[k]
		if !ok {
			max, ok = bounds[AnyField]
		}
		if ok && len(v) > max {
			if _, named := bounds[k]; !named {
				return codes.New(codes.InvalidArgument, "a transient field of %s is %d bytes, more than its limit of %d", fn, len(v), max)
			}
			return codes.New(codes.InvalidArgument, "transient field %q of %s is %d bytes, more than its limit of %d", k, fn, len(v), max)
		}
	}
	return nil
}

// cut shortens a function name that the log or an error repeats.
func cut(fn string) string {
	if r := []rune(fn); len(r) > 64 {
		return string(r[:64])
	}
	return fn
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
