package cctest_test

import (
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// The tiny contracts the harness is tested with.

const (
	itemType      = "item"
	secrets       = "secrets"
	eventItemPut  = "ItemPut"
	counterCC     = "counter"
	itemsCC       = "items"
	transientName = "secret"
)

// Item is the record of the items contract.
type Item struct {
	ID    string `json:"id"`
	Owner string `json:"owner"`
	Value string `json:"value"`
}

// ItemEvent is the payload of ItemPut.
type ItemEvent struct {
	ID    string `json:"id"`
	Owner string `json:"owner"`
}

// Who is what the contract read from the caller's certificate.
type Who struct {
	MSPID   string `json:"mspId"`
	ID      string `json:"id"`
	Role    string `json:"role" metadata:",optional"`
	Subject string `json:"subject" metadata:",optional"`
}

// ItemPage is a page of items. contractapi cannot describe an instantiated generic type such as
// ccutil.Page[Item] in its schema, so contracts return a defined type with the same fields.
type ItemPage ccutil.Page[Item]

// ItemVersion is one version of an item.
type ItemVersion struct {
	TxID      string `json:"txId"`
	Timestamp string `json:"timestamp"`
	IsDelete  bool   `json:"isDelete"`
	Value     *Item  `json:"value,omitempty" metadata:",optional"`
}

// ItemsContract stores items under (owner subject, id).
type ItemsContract struct {
	contractapi.Contract
}

// GetEvaluateTransactions lists the read-only functions.
func (c *ItemsContract) GetEvaluateTransactions() []string {
	return []string{"Get", "WhoAmI", "List", "GetSecret", "SecretHash", "Time", "History"}
}

func (c *ItemsContract) key(ctx contractapi.TransactionContextInterface, owner, id string) (string, error) {
	k, err := ctx.GetStub().CreateCompositeKey(itemType, []string{owner, id})
	if err != nil {
		return "", codes.New(codes.InvalidArgument, "building an item key: %v", err)
	}
	return k, nil
}

// The harness models a peer, so these contracts use the stub as it is (no txstate buffer): a write
// reaches the stub at once, and a read answers the committed value.

func getJSON(ctx contractapi.TransactionContextInterface, key string, v any) (bool, error) {
	raw, err := ctx.GetStub().GetState(key)
	if err != nil {
		return false, codes.New(codes.Internal, "reading %q: %v", key, err)
	}
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, codes.New(codes.Internal, "decoding %q: %v", key, err)
	}
	return true, nil
}

func putJSON(ctx contractapi.TransactionContextInterface, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return codes.New(codes.Internal, "encoding %q: %v", key, err)
	}
	if err := ctx.GetStub().PutState(key, raw); err != nil {
		return codes.New(codes.Internal, "writing %q: %v", key, err)
	}
	return nil
}

// Put stores a new item owned by the caller's subject.
func (c *ItemsContract) Put(ctx contractapi.TransactionContextInterface, id, value string) error {
	who, err := ccutil.RequireRole(ctx, "Put", wire.RolePatient)
	if err != nil {
		return err
	}
	if err := wire.CheckID("item id", id); err != nil {
		return err
	}
	k, err := c.key(ctx, who.Subject, id)
	if err != nil {
		return err
	}
	var old Item
	found, err := getJSON(ctx, k, &old)
	if err != nil {
		return err
	}
	if found {
		return codes.New(codes.Duplicate, "item %s exists", id)
	}
	if err := putJSON(ctx, k, Item{ID: id, Owner: who.Subject, Value: value}); err != nil {
		return err
	}
	return ccutil.Emit(ctx, eventItemPut, ItemEvent{ID: id, Owner: who.Subject})
}

// Update overwrites an existing item of the caller.
func (c *ItemsContract) Update(ctx contractapi.TransactionContextInterface, id, value string) error {
	who, err := ccutil.RequireRole(ctx, "Update", wire.RolePatient)
	if err != nil {
		return err
	}
	k, err := c.key(ctx, who.Subject, id)
	if err != nil {
		return err
	}
	var old Item
	found, err := getJSON(ctx, k, &old)
	if err != nil {
		return err
	}
	if !found {
		return codes.New(codes.NotFound, "item %s", id)
	}
	old.Value = value
	return putJSON(ctx, k, old)
}

// Remove deletes an item of the caller.
func (c *ItemsContract) Remove(ctx contractapi.TransactionContextInterface, id string) error {
	who, err := ccutil.CallerOf(ctx)
	if err != nil {
		return err
	}
	k, err := c.key(ctx, who.Subject, id)
	if err != nil {
		return err
	}
	return ctx.GetStub().DelState(k)
}

// PutThenFail writes, sets an event and then fails: nothing may commit.
func (c *ItemsContract) PutThenFail(ctx contractapi.TransactionContextInterface, id string) error {
	k, err := c.key(ctx, "anyone", id)
	if err != nil {
		return err
	}
	if err := putJSON(ctx, k, Item{ID: id}); err != nil {
		return err
	}
	if err := ctx.GetStub().PutPrivateData(secrets, k, []byte("x")); err != nil {
		return err
	}
	if err := ccutil.Emit(ctx, eventItemPut, ItemEvent{ID: id}); err != nil {
		return err
	}
	return codes.New(codes.Conflict, "item %s conflicts", id)
}

// PutAndReadBack writes a key and reports whether the same transaction sees its own write.
func (c *ItemsContract) PutAndReadBack(ctx contractapi.TransactionContextInterface, key string) (bool, error) {
	if err := ctx.GetStub().PutState(key, []byte("v")); err != nil {
		return false, err
	}
	raw, err := ctx.GetStub().GetState(key)
	if err != nil {
		return false, err
	}
	return raw != nil, nil
}

// Get reads one item.
func (c *ItemsContract) Get(ctx contractapi.TransactionContextInterface, owner, id string) (*Item, error) {
	k, err := c.key(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	var it Item
	found, err := getJSON(ctx, k, &it)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, codes.New(codes.NotFound, "item %s of %s", id, owner)
	}
	return &it, nil
}

// WhoAmI returns what the certificate says about the caller.
func (c *ItemsContract) WhoAmI(ctx contractapi.TransactionContextInterface) (*Who, error) {
	who, err := ccutil.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	return &Who{MSPID: who.MSPID, ID: who.ID, Role: who.Role, Subject: who.Subject}, nil
}

// List pages through the items of one owner.
func (c *ItemsContract) List(ctx contractapi.TransactionContextInterface, owner string, pageSize int, bookmark string) (*ItemPage, error) {
	p, err := ccutil.ListByPartialKey(ctx, itemType, []string{owner}, pageSize, bookmark, ccutil.DecodeJSON[Item])
	return (*ItemPage)(p), err
}

// ListThenWrite runs a paginated query and then writes, which a peer refuses.
func (c *ItemsContract) ListThenWrite(ctx contractapi.TransactionContextInterface, owner string) error {
	if _, err := ccutil.ListByPartialKey(ctx, itemType, []string{owner}, 10, "", ccutil.DecodeJSON[Item]); err != nil {
		return err
	}
	if err := ctx.GetStub().PutState("after-list", []byte("v")); err != nil {
		return codes.New(codes.Internal, "writing after a paginated query: %v", err)
	}
	return nil
}

// PutSecret stores the transient field "secret" in the private collection.
func (c *ItemsContract) PutSecret(ctx contractapi.TransactionContextInterface, id string) error {
	secret, err := ccutil.Transient(ctx, transientName)
	if err != nil {
		return err
	}
	return ctx.GetStub().PutPrivateData(secrets, id, secret)
}

// GetSecret reads a private value.
func (c *ItemsContract) GetSecret(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	raw, err := ctx.GetStub().GetPrivateData(secrets, id)
	if err != nil {
		return "", codes.New(codes.Internal, "%v", err)
	}
	if raw == nil {
		return "", codes.New(codes.NotFound, "secret %s", id)
	}
	return string(raw), nil
}

// SecretHash returns the hex private data hash, "" when absent.
func (c *ItemsContract) SecretHash(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	h, err := ctx.GetStub().GetPrivateDataHash(secrets, id)
	if err != nil {
		return "", codes.New(codes.Internal, "%v", err)
	}
	return hex.EncodeToString(h), nil
}

// PurgeSecret purges a private value.
func (c *ItemsContract) PurgeSecret(ctx contractapi.TransactionContextInterface, id string) error {
	return ctx.GetStub().PurgePrivateData(secrets, id)
}

// PutInCollection writes to a named collection, to test undeclared collections.
func (c *ItemsContract) PutInCollection(ctx contractapi.TransactionContextInterface, coll, id string) error {
	if err := ctx.GetStub().PutPrivateData(coll, id, []byte("v")); err != nil {
		return codes.New(codes.InvalidArgument, "%v", err)
	}
	return nil
}

// Time returns the transaction time.
func (c *ItemsContract) Time(ctx contractapi.TransactionContextInterface) (string, error) {
	t, err := ccutil.TxTime(ctx)
	if err != nil {
		return "", err
	}
	return t.Format(time.RFC3339), nil
}

// History returns the versions of an item, oldest first.
func (c *ItemsContract) History(ctx contractapi.TransactionContextInterface, owner, id string) ([]ItemVersion, error) {
	k, err := c.key(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	versions, err := ccutil.History[Item](ctx, k)
	if err != nil {
		return nil, err
	}
	// contractapi cannot describe generic types in its schema: return a named type.
	out := make([]ItemVersion, 0, len(versions))
	for _, v := range versions {
		out = append(out, ItemVersion{TxID: v.TxID, Timestamp: v.Timestamp.Format(time.RFC3339), IsDelete: v.IsDelete, Value: v.Value})
	}
	return out, nil
}

// PutAndCount stores an item and bumps the counter chaincode in the same transaction.
func (c *ItemsContract) PutAndCount(ctx contractapi.TransactionContextInterface, id, value string) (int, error) {
	if err := c.Put(ctx, id, value); err != nil {
		return 0, err
	}
	var n int
	if err := ccutil.InvokeJSON(ctx, counterCC, "Incr", []string{itemType}, &n); err != nil {
		return 0, err
	}
	return n, nil
}

// CountThenFail bumps the counter and then fails: neither write may commit.
func (c *ItemsContract) CountThenFail(ctx contractapi.TransactionContextInterface) error {
	if err := ccutil.InvokeJSON(ctx, counterCC, "Incr", []string{itemType}, nil); err != nil {
		return err
	}
	return codes.New(codes.PreconditionFailed, "changed my mind")
}

// CallCounter calls a counter function that returns a Who and returns its subject.
func (c *ItemsContract) CallCounter(ctx contractapi.TransactionContextInterface, fn string) (string, error) {
	var who Who
	if err := ccutil.InvokeJSON(ctx, counterCC, fn, []string{}, &who); err != nil {
		return "", err
	}
	return who.Subject, nil
}

// Panic panics.
func (c *ItemsContract) Panic(contractapi.TransactionContextInterface) error {
	panic("boom")
}

// CounterContract counts per name in its own namespace.
type CounterContract struct {
	contractapi.Contract
}

// Incr increments the named counter and returns the new value.
func (c *CounterContract) Incr(ctx contractapi.TransactionContextInterface, name string) (int, error) {
	var n int
	if _, err := getJSON(ctx, name, &n); err != nil {
		return 0, err
	}
	n++
	if err := putJSON(ctx, name, n); err != nil {
		return 0, err
	}
	if err := ccutil.Emit(ctx, "Counted", n); err != nil {
		return 0, err
	}
	return n, nil
}

// Caller returns the caller as the called chaincode sees it. (A string return would reach
// ccutil.InvokeJSON unquoted, which it cannot decode: contractapi writes strings raw.)
func (c *CounterContract) Caller(ctx contractapi.TransactionContextInterface) (*Who, error) {
	who, err := ccutil.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	return &Who{MSPID: who.MSPID, ID: who.ID, Role: who.Role, Subject: who.Subject}, nil
}

// Deny always fails with FORBIDDEN.
func (c *CounterContract) Deny(contractapi.TransactionContextInterface) (*Who, error) {
	return nil, codes.New(codes.Forbidden, "counter says no")
}
