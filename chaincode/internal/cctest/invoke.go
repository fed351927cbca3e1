package cctest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// CallOption configures one Invoke or Evaluate.
type CallOption func(*callConfig)

type callConfig struct {
	transient map[string][]byte
	at        *time.Time
	txID      string
}

// WithTransient passes transient data (merged with any given before).
func WithTransient(data map[string][]byte) CallOption {
	return func(c *callConfig) {
		for k, v := range data {
			c.transient[k] = clone(v)
		}
	}
}

// WithTransientJSON passes v, encoded as JSON, as transient field name. A value that cannot be encoded
// is passed as an empty field.
func WithTransientJSON(name string, v any) CallOption {
	return func(c *callConfig) {
		raw, err := json.Marshal(v)
		if err != nil {
			raw = nil
		}
		c.transient[name] = raw
	}
}

// At sets the transaction's timestamp instead of the ledger's clock (which still advances).
func At(t time.Time) CallOption {
	return func(c *callConfig) {
		at := t.UTC()
		c.at = &at
	}
}

// WithTxID sets the transaction id instead of a generated one.
func WithTxID(id string) CallOption {
	return func(c *callConfig) { c.txID = id }
}

// Result is the outcome of one Invoke or Evaluate.
type Result struct {
	TxID      string
	Function  string    // the function called
	Time      time.Time // the transaction's timestamp
	Status    int32     // 200 on success; contractapi reports failures as 500
	Payload   []byte
	Message   string // the failure text, e.g. "NOT_FOUND: consent c-1"
	Event     *Event // the invoked chaincode's last SetEvent; nil when none or when the call failed
	Committed bool   // whether the writes were applied
	Writes    int    // how many keys the transaction wrote (public and private, all chaincodes)
}

// OK reports whether the call succeeded (status below 400).
func (r *Result) OK() bool { return r.Status < shim.ERRORTHRESHOLD }

// Err returns nil on success; otherwise the *codes.Error found in Message, or a plain error.
func (r *Result) Err() error {
	if r.OK() {
		return nil
	}
	if ce, ok := codes.Parse(r.Message); ok {
		return ce
	}
	return errors.New(r.Message)
}

// String summarises the result for failure messages.
func (r *Result) String() string {
	if r.OK() {
		return fmt.Sprintf("status %d, payload %s", r.Status, r.Payload)
	}
	return fmt.Sprintf("status %d: %s", r.Status, r.Message)
}

// Invoke submits a transaction: it runs function fn of chaincode with args through the chaincode's
// real Invoke, as caller. The writes of the whole transaction (including chaincodes it calls) are
// applied, and its event recorded, only when the call succeeds.
func (l *Ledger) Invoke(chaincode string, caller *Identity, fn string, args []string, opts ...CallOption) *Result {
	l.tb.Helper()
	return l.call(true, chaincode, caller, fn, args, opts)
}

// Evaluate runs a query the same way but never commits anything.
func (l *Ledger) Evaluate(chaincode string, caller *Identity, fn string, args []string, opts ...CallOption) *Result {
	l.tb.Helper()
	return l.call(false, chaincode, caller, fn, args, opts)
}

func (l *Ledger) call(submit bool, chaincode string, caller *Identity, fn string, args []string, opts []CallOption) *Result {
	l.tb.Helper()
	if caller == nil {
		l.tb.Fatalf("cctest: calling %s.%s needs an identity", chaincode, fn)
		return &Result{Status: shim.ERROR, Message: "cctest: no identity"}
	}
	cfg := &callConfig{transient: map[string][]byte{}}
	for _, o := range opts {
		o(cfg)
	}
	l.txMu.Lock()
	defer l.txMu.Unlock()

	txID, now := l.nextTx()
	if cfg.txID != "" {
		txID = cfg.txID
	}
	if cfg.at != nil {
		now = *cfg.at
	}
	t := newTx(txID, now, caller.creator, cfg.transient)
	res := &Result{TxID: txID, Function: fn, Time: t.time}

	cc, ok := l.chaincode(chaincode)
	if !ok {
		res.Status = shim.ERROR
		res.Message = fmt.Sprintf("cctest: chaincode %q is not registered", chaincode)
		return res
	}
	argv := make([][]byte, 0, len(args)+1)
	argv = append(argv, []byte(fn))
	for _, a := range args {
		argv = append(argv, []byte(a))
	}
	s := &stub{l: l, tx: t, ns: chaincode, args: argv}
	resp := run(cc, s)
	res.Status = resp.GetStatus()
	res.Payload = resp.GetPayload()
	res.Message = resp.GetMessage()
	res.Writes = t.writes()
	if !res.OK() {
		return res
	}
	var ev *Event
	if s.event != nil {
		ev = &Event{Chaincode: chaincode, TxID: txID, Name: s.event.GetEventName(), Payload: clone(s.event.GetPayload())}
		res.Event = ev
	}
	if submit {
		l.commit(t, ev)
		res.Committed = true
	}
	return res
}

// RequireOK fails the test unless r succeeded.
func RequireOK(tb testing.TB, r *Result) {
	tb.Helper()
	if !r.OK() {
		tb.Fatalf("cctest: tx %s failed: %s", r.TxID, r)
	}
}

// Decode requires that r succeeded and decodes its JSON payload into a T. When T is string the payload
// is taken as it is: contractapi returns a string result raw, not JSON-quoted.
func Decode[T any](tb testing.TB, r *Result) T {
	tb.Helper()
	var v T
	RequireOK(tb, r)
	if p, ok := any(&v).(*string); ok {
		*p = string(r.Payload)
		return v
	}
	if err := json.Unmarshal(r.Payload, &v); err != nil {
		tb.Fatalf("cctest: decoding the payload %q as %T: %v", r.Payload, v, err)
	}
	return v
}

// RequireCode requires that r failed with the stable code and returns the parsed error.
func RequireCode(tb testing.TB, r *Result, code codes.Code) *codes.Error {
	tb.Helper()
	if r.OK() {
		tb.Fatalf("cctest: tx %s succeeded (%s), want %s", r.TxID, r, code)
		return nil
	}
	ce, ok := codes.Parse(r.Message)
	if !ok {
		tb.Fatalf("cctest: tx %s failed without a stable code, want %s: %s", r.TxID, code, r.Message)
		return nil
	}
	if got := codes.Of(ce); got != code {
		tb.Fatalf("cctest: tx %s failed with %s, want %s: %s", r.TxID, got, code, r.Message)
	}
	return ce
}

// RequireEvent requires that r succeeded with an event called name and decodes its JSON payload.
func RequireEvent[T any](tb testing.TB, r *Result, name string) T {
	tb.Helper()
	var v T
	RequireOK(tb, r)
	if r.Event == nil {
		tb.Fatalf("cctest: tx %s set no event, want %s", r.TxID, name)
		return v
	}
	if r.Event.Name != name {
		tb.Fatalf("cctest: tx %s set event %s, want %s", r.TxID, r.Event.Name, name)
		return v
	}
	if err := json.Unmarshal(r.Event.Payload, &v); err != nil {
		tb.Fatalf("cctest: decoding the payload of event %s as %T: %v", name, v, err)
	}
	return v
}
