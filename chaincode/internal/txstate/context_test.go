package txstate_test

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/stretchr/testify/require"
)

const (
	cc         = "state"
	collection = "notes"
)

// stateContract is a contract as the healthledger contracts are built: it embeds ccutil.Contract and
// works on ctx.State().
type stateContract struct {
	ccutil.Contract
}

func (c *stateContract) GetEvaluateTransactions() []string { return []string{"Read"} }

// WriteTwice writes key twice and answers what it read back in between and after.
func (c *stateContract) WriteTwice(ctx txstate.Context, key string) (string, error) {
	st := ctx.State()
	st.Put(key, []byte("one"))
	first, err := st.Get(key)
	if err != nil {
		return "", err
	}
	st.Put(key, []byte("two"))
	st.PutPrivate(collection, key, []byte("private"))
	second, err := st.Get(key)
	if err != nil {
		return "", err
	}
	return string(first) + "," + string(second), nil
}

// WriteThenFail writes public and private data and then fails.
func (c *stateContract) WriteThenFail(ctx txstate.Context, key string) error {
	ctx.State().Put(key, []byte("v"))
	ctx.State().PutPrivate(collection, key, []byte("p"))
	return codes.New(codes.Conflict, "changed my mind")
}

// WriteToAnotherCollection writes a public key and a key of a collection the chaincode did not
// declare, which fails at the flush.
func (c *stateContract) WriteToAnotherCollection(ctx txstate.Context, key string) error {
	ctx.State().Put(key, []byte("v"))
	ctx.State().PutPrivate("undeclared", key, []byte("p"))
	return nil
}

// Read answers the committed value of key.
func (c *stateContract) Read(ctx txstate.Context, key string) (string, error) {
	v, err := ctx.State().Get(key)
	if err != nil {
		return "", err
	}
	if v == nil {
		return "", codes.New(codes.NotFound, "key %s", key)
	}
	return string(v), nil
}

func setup(t *testing.T) (*cctest.Ledger, *cctest.Identity) {
	l := cctest.New(t)
	l.Deploy(cc, &stateContract{})
	l.DefineCollections(cc, collection)
	return l, l.Identity("HospitalMSP", "provider1", cctest.RoleAttrs("provider", "1003000126"))
}

func TestAFunctionSeesItsOwnWritesAndTheLastOneCommits(t *testing.T) {
	l, who := setup(t)
	res := l.Invoke(cc, who, "WriteTwice", []string{"k"})
	require.Equal(t, "one,two", cctest.Decode[string](t, res))
	require.Equal(t, 2, res.Writes, "each key reaches the stub once")
	require.Equal(t, "two", cctest.Decode[string](t, l.Evaluate(cc, who, "Read", []string{"k"})))
	require.Equal(t, "private", string(l.PrivateData(cc, collection, "k")))
}

func TestAFailedFunctionWritesNothing(t *testing.T) {
	l, who := setup(t)
	before := l.Snapshot()
	res := l.Invoke(cc, who, "WriteThenFail", []string{"k"})
	cctest.RequireCode(t, res, codes.Conflict)
	require.Zero(t, res.Writes, "no write reached the stub")
	l.RequireUnchanged(t, before)
}

func TestAFailedFlushFailsTheTransaction(t *testing.T) {
	l, who := setup(t)
	before := l.Snapshot()
	ce := cctest.RequireCode(t, l.Invoke(cc, who, "WriteToAnotherCollection", []string{"k"}), codes.Unavailable)
	require.Contains(t, ce.Message, "undeclared")
	l.RequireUnchanged(t, before)
}

func TestAnEvaluationFlushesNothing(t *testing.T) {
	l, who := setup(t)
	res := l.Evaluate(cc, who, "WriteTwice", []string{"k"})
	cctest.RequireOK(t, res)
	cctest.RequireCode(t, l.Evaluate(cc, who, "Read", []string{"k"}), codes.NotFound)
}

// forgetful takes a txstate.Context but keeps contractapi's own transaction context.
type forgetful struct {
	contractapi.Contract
}

func (c *forgetful) Do(ctx txstate.Context) error { return nil }

func TestAContractWithoutTheTransactionContextDoesNotStart(t *testing.T) {
	_, err := contractapi.NewChaincode(&forgetful{})
	require.ErrorContains(t, err, "transaction context")
}
