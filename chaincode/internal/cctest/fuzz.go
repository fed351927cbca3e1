package cctest

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
)

// The separators of the fuzz encodings: ASCII's unit, record and group separators, which no valid
// argument or transient field of the healthledger chaincodes needs.
const (
	argSep    = "\x1f" // before each argument
	fieldSep  = "\x1e" // between transient fields
	nameValue = "\x1d" // between a transient field's name and its value
)

// JoinArgs encodes a call's arguments as one string, the form a fuzz target takes them in: each
// argument preceded by the unit separator 0x1F. SplitArgs reverses it.
func JoinArgs(args ...string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(argSep)
		b.WriteString(a)
	}
	return b.String()
}

// SplitArgs decodes a JoinArgs string. Whatever precedes the first separator is ignored, so every
// string decodes to some argument list: "" to none, "\x1f" to one empty argument.
func SplitArgs(s string) []string {
	parts := strings.Split(s, argSep)
	return parts[1:]
}

// JoinTransient encodes transient data as bytes, the form a fuzz target takes it in: the fields in
// name order, separated by 0x1E, each "name" 0x1D "value". SplitTransient reverses it.
func JoinTransient(m map[string][]byte) []byte {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	var b bytes.Buffer
	for i, k := range names {
		if i > 0 {
			b.WriteString(fieldSep)
		}
		b.WriteString(k)
		b.WriteString(nameValue)
		b.Write(m[k])
	}
	return b.Bytes()
}

// SplitTransient decodes a JoinTransient encoding. Every input decodes to some map: a field without
// a name separator is a name with an empty value, and of repeated names the last wins.
func SplitTransient(raw []byte) map[string][]byte {
	m := map[string][]byte{}
	if len(raw) == 0 {
		return m
	}
	for _, f := range bytes.Split(raw, []byte(fieldSep)) {
		name, value, _ := bytes.Cut(f, []byte(nameValue))
		m[string(name)] = append([]byte{}, value...)
	}
	return m
}

// Invariants are what every call of a healthledger chaincode keeps, refused or not. [Ledger.CheckCall]
// checks them.
type Invariants struct {
	// Chaincode is the chaincode called.
	Chaincode string
	// Submit names the functions a client submits: their answer is written into a block, so it is
	// public. (Answers of evaluate functions reach only the caller.)
	Submit []string
	// Marker is a text planted in private data and in transient input, which must never reach
	// public state, an event, an error message or the answer of a submit function.
	Marker string
	// Public returns the parts of a call's transient input that are public by design (a coverage's
	// member id, which its public header carries). May be nil.
	Public func(transient map[string][]byte) []string
}

// CheckCall submits fn of inv.Chaincode with args and transient data as caller, and fails tb unless
// the call keeps the invariants:
//
//   - a refused call fails with a stable code at the front of its message ("CODE: ..."), never
//     INTERNAL (a panic, or a failure the contract did not classify, is a bug), sets no event, wrote
//     nothing, and left the ledger as it was;
//   - the marker never reaches public state (keys or values, of any chaincode), an event, the
//     message of a refusal or the answer of a submit function: unless the call's own public input
//     (its arguments, or inv.Public of its transient data) holds it.
//
// It returns the result.
func (l *Ledger) CheckCall(tb testing.TB, inv Invariants, caller *Identity, fn string, args []string, transient map[string][]byte) *Result {
	tb.Helper()
	before := l.Snapshot()
	res := l.Invoke(inv.Chaincode, caller, fn, args, WithTransient(transient))
	if !res.OK() {
		code := codes.Of(res.Err())
		switch {
		case code == "":
			tb.Fatalf("cctest: %s.%s was refused without a stable code: %s", inv.Chaincode, fn, res.Message)
		case code == codes.Internal:
			tb.Fatalf("cctest: %s.%s failed with INTERNAL, a bug: %s", inv.Chaincode, fn, res.Message)
		case !strings.HasPrefix(res.Message, string(code)+": "):
			tb.Fatalf("cctest: %s.%s was refused with its code inside the message, not at its front: %s", inv.Chaincode, fn, res.Message)
		case res.Event != nil || res.Committed:
			tb.Fatalf("cctest: %s.%s was refused but set an event or committed", inv.Chaincode, fn)
		case res.Writes != 0:
			tb.Fatalf("cctest: %s.%s was refused after writing %d keys: a contract writes only once it succeeded", inv.Chaincode, fn, res.Writes)
		}
		l.RequireUnchanged(tb, before)
	}
	if inv.Marker == "" || publicInput(inv, args, transient) {
		return res
	}
	if strings.Contains(res.Message, inv.Marker) {
		tb.Fatalf("cctest: the refusal of %s.%s repeats private input: %s", inv.Chaincode, fn, res.Message)
	}
	if slices.Contains(inv.Submit, fn) && bytes.Contains(res.Payload, []byte(inv.Marker)) {
		tb.Fatalf("cctest: the answer of submit function %s.%s, which goes into a block, holds private data: %s", inv.Chaincode, fn, res.Payload)
	}
	if where := l.publicHolding(inv.Marker); len(where) > 0 {
		tb.Fatalf("cctest: after %s.%s, public data holds private data: %s", inv.Chaincode, fn, strings.Join(where, "; "))
	}
	return res
}

// publicInput reports whether the call's public input holds the marker.
func publicInput(inv Invariants, args []string, transient map[string][]byte) bool {
	for _, a := range args {
		if strings.Contains(a, inv.Marker) {
			return true
		}
	}
	if inv.Public != nil {
		for _, p := range inv.Public(transient) {
			if strings.Contains(p, inv.Marker) {
				return true
			}
		}
	}
	return false
}

// publicHolding lists the public keys, values and events that hold text.
func (l *Ledger) publicHolding(text string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	needle := []byte(text)
	var out []string
	for _, ns := range sortedKeys(l.state) {
		for _, k := range sortedKeys(l.state[ns]) {
			if strings.Contains(k, text) || bytes.Contains(l.state[ns][k], needle) {
				out = append(out, "state "+ns+" key "+strings.ReplaceAll(k, "\x00", "/"))
			}
		}
	}
	for _, e := range l.events {
		if strings.Contains(e.Name, text) || bytes.Contains(e.Payload, needle) {
			out = append(out, "event "+e.Name+" of tx "+e.TxID)
		}
	}
	return out
}
