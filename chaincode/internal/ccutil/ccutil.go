// Package ccutil holds what the healthledger contracts share: the [Contract] they embed, who the
// caller is, the transaction's time, transient input, composite-key pages, history, events and calls
// to other chaincodes. Every failure it returns is a *codes.Error, so a contract can return it as it
// is. Point reads and writes of the state go through the transaction's txstate.State; roles and id
// checks are in package wire.
package ccutil

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/orgroles"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// The certificate attributes that the Fabric CAs put in every enrollment certificate.
const (
	AttrRole    = "role"
	AttrSubject = "subject"
)

// Caller is the identity that signed the proposal, as read from its certificate.
type Caller struct {
	MSPID   string // the caller's organisation
	ID      string // the certificate's unique id (subject and issuer)
	Role    string // the role attribute; empty when the certificate has none
	Subject string // the subject-id attribute: patient id, NPI, GLN ...; empty when absent
}

// Is reports whether the caller holds one of the given roles.
func (c Caller) Is(roles ...string) bool {
	for _, r := range roles {
		if c.Role == r {
			return true
		}
	}
	return false
}

// CallerOf reads the caller from the transaction context. A certificate whose role attribute names a
// role that the consortium map (package orgroles) does not grant to the certificate's organisation is
// refused with FORBIDDEN, whoever's CA issued it; so is every role when this chaincode holds no map
// (PRECONDITION_FAILED, fail closed). A certificate without a role attribute passes this check: the
// contract's own role checks refuse it where a role is needed.
func CallerOf(ctx contractapi.TransactionContextInterface) (Caller, error) {
	id := ctx.GetClientIdentity()
	msp, err := id.GetMSPID()
	if err != nil {
		return Caller{}, codes.New(codes.Internal, "reading the caller's MSP id: %v", err)
	}
	uid, err := id.GetID()
	if err != nil {
		return Caller{}, codes.New(codes.Internal, "reading the caller's id: %v", err)
	}
	role, _, err := id.GetAttributeValue(AttrRole)
	if err != nil {
		return Caller{}, codes.New(codes.Internal, "reading the caller's role: %v", err)
	}
	subject, _, err := id.GetAttributeValue(AttrSubject)
	if err != nil {
		return Caller{}, codes.New(codes.Internal, "reading the caller's subject id: %v", err)
	}
	c := Caller{MSPID: msp, ID: uid, Role: role, Subject: subject}
	if role == "" {
		return c, nil
	}
	m, err := consortium(ctx)
	if err != nil {
		return Caller{}, err
	}
	if !m.Allows(role, msp) {
		return Caller{}, codes.New(codes.Forbidden, "role %s is not granted to %s by the consortium map (version %d): it grants it to %v",
			wire.Quote(role), msp, m.Version, m.OrgsFor(role))
	}
	return c, nil
}

// consortium loads the map, from the transaction's cache when ctx is a txstate.Context.
func consortium(ctx contractapi.TransactionContextInterface) (*orgroles.Map, error) {
	if tc, ok := ctx.(txstate.Context); ok {
		return orgroles.Load(tc)
	}
	return orgroles.LoadStub(ctx.GetStub())
}

// RequireRole returns the caller when it holds one of roles, and FORBIDDEN otherwise.
func RequireRole(ctx contractapi.TransactionContextInterface, action string, roles ...string) (Caller, error) {
	c, err := CallerOf(ctx)
	if err != nil {
		return Caller{}, err
	}
	if !c.Is(roles...) {
		role := c.Role
		if role == "" {
			role = "none"
		}
		return Caller{}, codes.New(codes.Forbidden, "%s needs role %v; caller %s of %s has role %s", action, roles, c.Subject, c.MSPID, role)
	}
	if c.Subject == "" {
		return Caller{}, codes.New(codes.Forbidden, "%s needs a subject id in the caller's certificate", action)
	}
	return c, nil
}

// TxTime is the transaction's timestamp, in UTC. Contracts never read the local clock.
func TxTime(ctx contractapi.TransactionContextInterface) (time.Time, error) {
	ts, err := ctx.GetStub().GetTxTimestamp()
	if err != nil {
		return time.Time{}, codes.New(codes.Internal, "reading the transaction time: %v", err)
	}
	return ts.AsTime().UTC(), nil
}

// Emit sets the transaction's chaincode event. Fabric keeps one event per transaction: the last set.
func Emit(ctx contractapi.TransactionContextInterface, name string, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return codes.New(codes.Internal, "encoding event %s: %v", name, err)
	}
	if err := ctx.GetStub().SetEvent(name, raw); err != nil {
		return codes.New(codes.Internal, "setting event %s: %v", name, err)
	}
	return nil
}

// Transient returns the transient field name, or INVALID_ARGUMENT when it is missing or empty.
func Transient(ctx contractapi.TransactionContextInterface, name string) ([]byte, error) {
	m, err := ctx.GetStub().GetTransient()
	if err != nil {
		return nil, codes.New(codes.Internal, "reading transient data: %v", err)
	}
	v, ok := m[name]
	if !ok || len(v) == 0 {
		return nil, codes.New(codes.InvalidArgument, "transient field %q is missing", name)
	}
	return v, nil
}

// TransientJSON reads transient field name and decodes it strictly into v (wire.DecodeStrict: one
// JSON value, no unknown field, nothing after it); what names the input in messages. Transient data
// is private, so its refusals never repeat it: not even the name of an unknown field, which
// wire.DecodeStrict would quote.
func TransientJSON(ctx contractapi.TransactionContextInterface, name, what string, v any) error {
	raw, err := Transient(ctx, name)
	if err != nil {
		return err
	}
	if err := wire.DecodeStrict(what, raw, v); err != nil {
		var ce *codes.Error
		if errors.As(err, &ce) && strings.Contains(ce.Message, "unknown field ") {
			return codes.New(codes.InvalidArgument, "%s is not valid JSON of the expected shape: it has a field the chaincode does not know", what)
		}
		return err
	}
	return nil
}

// Page is one page of a paginated query: the items and the bookmark that fetches the next page. An
// empty bookmark means there is nothing more.
//
// contractapi cannot describe a generic type in its metadata, so a contract must not return Page[T]
// itself: declare a named type (type ConsentPage ccutil.Page[Consent]) and convert.
type Page[T any] struct {
	Items    []T    `json:"items"`
	Bookmark string `json:"bookmark"`
}

// The page size limits.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// PageSize checks a requested size: 0 means the default, and sizes above the maximum are refused.
func PageSize(n int) (int32, error) {
	switch {
	case n == 0:
		return DefaultPageSize, nil
	case n < 0 || n > MaxPageSize:
		return 0, codes.New(codes.InvalidArgument, "page size %d is outside 1..%d", n, MaxPageSize)
	}
	return int32(n), nil
}

// ListByPartialKey reads one page of the composite keys that start with objectType and attrs and
// decodes each value with decode. Its cost is the page's size, not the ledger's.
func ListByPartialKey[T any](ctx contractapi.TransactionContextInterface, objectType string, attrs []string, pageSize int, bookmark string, decode func(key string, value []byte) (T, error)) (*Page[T], error) {
	size, err := PageSize(pageSize)
	if err != nil {
		return nil, err
	}
	// A bookmark is the next key to read. One from outside this index would let a caller read
	// other keys, so it must lie under the index's prefix.
	if bookmark != "" {
		prefix, err := ctx.GetStub().CreateCompositeKey(objectType, attrs)
		if err != nil {
			return nil, codes.New(codes.InvalidArgument, "listing %s: %v", objectType, err)
		}
		if !strings.HasPrefix(bookmark, prefix) {
			return nil, codes.New(codes.InvalidArgument, "bookmark does not belong to this %s listing", objectType)
		}
	}
	iter, meta, err := ctx.GetStub().GetStateByPartialCompositeKeyWithPagination(objectType, attrs, size, bookmark)
	if err != nil {
		return nil, codes.New(codes.InvalidArgument, "listing %s: %v", objectType, err)
	}
	defer iter.Close()
	page := &Page[T]{Items: []T{}}
	for iter.HasNext() {
		kv, err := iter.Next()
		if err != nil {
			return nil, codes.New(codes.Internal, "listing %s: %v", objectType, err)
		}
		item, err := decode(kv.GetKey(), kv.GetValue())
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, item)
	}
	if int32(len(page.Items)) == size && meta != nil {
		page.Bookmark = meta.GetBookmark()
	}
	return page, nil
}

// DecodeJSON is a decode function for ListByPartialKey that unmarshals the value into a T.
func DecodeJSON[T any](key string, value []byte) (T, error) {
	var v T
	if err := json.Unmarshal(value, &v); err != nil {
		return v, codes.New(codes.Internal, "decoding %q: %v", key, err)
	}
	return v, nil
}

// HistoryEntry is one version of a key, as Fabric's history database keeps it.
type HistoryEntry[T any] struct {
	TxID      string    `json:"txId"`
	Timestamp time.Time `json:"timestamp"`
	IsDelete  bool      `json:"isDelete"`
	Value     *T        `json:"value,omitempty" metadata:",optional"`
}

// History returns every version of key, oldest first.
func History[T any](ctx contractapi.TransactionContextInterface, key string) ([]HistoryEntry[T], error) {
	iter, err := ctx.GetStub().GetHistoryForKey(key)
	if err != nil {
		return nil, codes.New(codes.Internal, "reading the history of %q: %v", key, err)
	}
	defer iter.Close()
	out := []HistoryEntry[T]{}
	for iter.HasNext() {
		m, err := iter.Next()
		if err != nil {
			return nil, codes.New(codes.Internal, "reading the history of %q: %v", key, err)
		}
		e := HistoryEntry[T]{TxID: m.GetTxId(), IsDelete: m.GetIsDelete()}
		if ts := m.GetTimestamp(); ts != nil {
			e.Timestamp = ts.AsTime().UTC()
		}
		if !m.GetIsDelete() && len(m.GetValue()) > 0 {
			var v T
			if err := json.Unmarshal(m.GetValue(), &v); err != nil {
				return nil, codes.New(codes.Internal, "decoding a version of %q: %v", key, err)
			}
			e.Value = &v
		}
		out = append(out, e)
	}
	// Fabric returns newest first; callers read a history oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// InvokeJSON calls function fn of another chaincode on the same channel and decodes its JSON answer
// into v. A failure of the called chaincode keeps its stable code.
func InvokeJSON(ctx contractapi.TransactionContextInterface, chaincode, fn string, args []string, v any) error {
	argv := make([][]byte, 0, len(args)+1)
	argv = append(argv, []byte(fn))
	for _, a := range args {
		argv = append(argv, []byte(a))
	}
	resp := ctx.GetStub().InvokeChaincode(chaincode, argv, "")
	if resp.GetStatus() >= shim.ERRORTHRESHOLD {
		if ce, ok := codes.Parse(resp.GetMessage()); ok {
			return ce
		}
		return codes.New(codes.Unavailable, "calling %s.%s: %s", chaincode, fn, resp.GetMessage())
	}
	if v == nil {
		return nil
	}
	if err := json.Unmarshal(resp.GetPayload(), v); err != nil {
		return codes.New(codes.Internal, "decoding the answer of %s.%s: %v", chaincode, fn, err)
	}
	return nil
}
