package consent_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/consent"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccguard"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"
)

// The demo layout of common.md.
const (
	hospital = "HospitalMSP"
	pharma   = "PharmaMSP"
	insurer  = "InsurerMSP"

	pat1 = "pat-7f3a9c21"
	pat2 = "pat-2b8e4d10"
	pat3 = "pat-c91d05e7"
	pat4 = "pat-4e61aa09" // never registered in the fixtures

	// rotateKeyPEM, rotateSig and rotateKeyHash are a fixed new key for patient1 and its signature over
	// consenttypes.RotationMessage(pat1, 0, rotateKeyHash): a valid rotation proof at epoch 0.
	rotateKeyPEM  = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEgb/4q8s/ICCdZJ/4pdkGANk/s2QF\nqCUpy5p6ZIyK1tIfIylg5+m/2eZQolD3mBVkI+2GiHbZ3LpuB6W4kQztgg==\n-----END PUBLIC KEY-----\n"
	rotateSig     = "MEQCIE5vqKlEntBu0zr4nF5TWfWi5sJnUCxSpniR4WWbM+WpAiAltpQbsU1XvFlVFxiteK5iL/uCWOVdw9fBRuXQINHHDQ=="
	rotateKeyHash = "084bd54ac1dbe692c7bd7fac00103ea606d32e5eb7777dc690cc0f15cfa2f2a7"

	npi1 = "1003000126"
	npi2 = "1003000134"

	cc = "consent"
)

// builtChaincode builds the chaincode once per test binary: contractapi.NewChaincode compiles a JSON
// schema per function, which costs a quarter of a second under the race detector. The chaincode keeps
// no state between calls, so the ledgers of all tests can share it.
var builtChaincode = sync.OnceValues(func() (*ccguard.Chaincode, error) { return consent.NewChaincodeLogging(io.Discard) })

// fixture is a ledger with the consent chaincode deployed through contractapi.NewChaincode and the
// demo identities.
type fixture struct {
	t  testing.TB
	l  *cctest.Ledger
	id map[string]*cctest.Identity
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureWith(t, nil)
}

// newUnregisteredFixture is newFixture without the patients' registrations.
func newUnregisteredFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureFrom(t, nil, false)
}

// newFixtureWith wraps the chaincode with wrap (when not nil) before registering it; patient1, 2 and 3
// are registered (RegisterPatient) with their certificates' keys.
func newFixtureWith(t testing.TB, wrap func(shim.Chaincode) shim.Chaincode) *fixture {
	t.Helper()
	return newFixtureFrom(t, wrap, true)
}

func newFixtureFrom(t testing.TB, wrap func(shim.Chaincode) shim.Chaincode, registered bool) *fixture {
	t.Helper()
	chaincode, err := builtChaincode()
	require.NoError(t, err)
	return newFixtureOf(t, chaincode, wrap, registered)
}

// newFixtureOf is the fixture with the given consent chaincode.
func newFixtureOf(t testing.TB, chaincode shim.Chaincode, wrap func(shim.Chaincode) shim.Chaincode, registered bool) *fixture {
	t.Helper()
	l := cctest.New(t)
	var c shim.Chaincode = chaincode
	if wrap != nil {
		c = wrap(c)
	}
	l.Register(cc, c)
	l.DefineCollections(cc, consenttypes.CollectionFor(hospital), consenttypes.CollectionFor(pharma), consenttypes.CollectionFor(insurer))
	f := &fixture{t: t, l: l, id: map[string]*cctest.Identity{}}
	add := func(name, msp, role, subject string) {
		f.id[name] = l.Identity(msp, name, cctest.RoleAttrs(role, subject))
	}
	add("patient1", hospital, "patient", pat1)
	add("patient2", hospital, "patient", pat2)
	add("patient3", hospital, "patient", pat3)
	add("provider1", hospital, "provider", npi1)
	add("provider2", hospital, "provider", npi2)
	add("pharmacist1", hospital, "pharmacist", "0614141000029")
	add("manufacturer1", pharma, "manufacturer", "0614141000005")
	add("distributor1", pharma, "distributor", "0614141000012")
	add("insurer1", insurer, "insurer", "PAYER-0001")
	add("auditor1", insurer, "auditor", "AUD-0001")
	// A certificate from another CA that claims to be patient1.
	add("impostor1", insurer, "patient", pat1)
	// A second certificate of patient1's own CA for patient1's id, with another key.
	add("patient1b", hospital, "patient", pat1)
	// A patient who never registered.
	add("patient4", hospital, "patient", pat4)
	f.id["hospitalAdmin"] = l.AdminIdentity(hospital, "hospitalAdmin")
	f.id["insurerAdmin"] = l.AdminIdentity(insurer, "insurerAdmin")
	f.id["noattrs"] = l.Identity(hospital, "noattrs", nil)
	// A provider certificate of an organisation the consortium map does not name.
	add("outsider1", "OutsiderMSP", "provider", "1003000142")
	if registered {
		for _, p := range []string{"patient1", "patient2", "patient3"} {
			cctest.Decode[consenttypes.PatientBinding](t, f.invoke(p, "RegisterPatient"))
		}
	}
	return f
}

func (f *fixture) who(name string) *cctest.Identity {
	f.t.Helper()
	id, ok := f.id[name]
	if !ok {
		f.t.Fatalf("no identity %s", name)
	}
	return id
}

func (f *fixture) invoke(name, fn string, args ...string) *cctest.Result {
	f.t.Helper()
	return f.l.Invoke(cc, f.who(name), fn, args)
}

// invoke2 invokes as an identity that is not among the fixture's names.
func (f *fixture) invoke2(id *cctest.Identity, fn string, args ...string) *cctest.Result {
	f.t.Helper()
	return f.l.Invoke(cc, id, fn, args)
}

func (f *fixture) invokeWith(name, fn string, opts []cctest.CallOption, args ...string) *cctest.Result {
	f.t.Helper()
	return f.l.Invoke(cc, f.who(name), fn, args, opts...)
}

func (f *fixture) eval(name, fn string, args ...string) *cctest.Result {
	f.t.Helper()
	return f.l.Evaluate(cc, f.who(name), fn, args, cctest.WithSealKey(cctest.SealKey()))
}

// consentDoc returns a permit consent of patient for grantee; mods adjust it.
func consentDoc(id, patient, grantee string, mods ...func(*consenttypes.Consent)) consenttypes.Consent {
	c := consenttypes.Consent{
		ID: id, Patient: patient, Grantee: grantee, Decision: consenttypes.Permit,
		Actions:  []consenttypes.Action{consenttypes.ActionAccess, consenttypes.ActionCollect},
		Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment},
		Classes:  []consenttypes.DataClass{consenttypes.ClassObservation, consenttypes.ClassCondition},
	}
	for _, m := range mods {
		m(&c)
	}
	return c
}

func deny(c *consenttypes.Consent) { c.Decision = consenttypes.Deny }

func actions(a ...consenttypes.Action) func(*consenttypes.Consent) {
	return func(c *consenttypes.Consent) { c.Actions = a }
}

func purposes(p ...consenttypes.Purpose) func(*consenttypes.Consent) {
	return func(c *consenttypes.Consent) { c.Purposes = p }
}

func classes(k ...consenttypes.DataClass) func(*consenttypes.Consent) {
	return func(c *consenttypes.Consent) { c.Classes = k }
}

func period(start, end time.Time) func(*consenttypes.Consent) {
	return func(c *consenttypes.Consent) { c.Period = consenttypes.Period{Start: start, End: end} }
}

func asJSON(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

// grant grants c as the named identity and requires success.
func (f *fixture) grant(name string, c consenttypes.Consent) consenttypes.Consent {
	f.t.Helper()
	return cctest.Decode[consenttypes.Consent](f.t, f.invoke(name, "Grant", asJSON(f.t, c)))
}

func (f *fixture) check(name, patient, grantee string, action consenttypes.Action, purpose consenttypes.Purpose, class consenttypes.DataClass) consenttypes.Decision {
	f.t.Helper()
	return cctest.Decode[consenttypes.Decision](f.t, f.eval(name, "CheckAccess", patient, grantee, string(action), string(purpose), string(class)))
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// recordDetails is the transient JSON of a record's private details, with a fixed salt.
func recordDetails(t testing.TB, uri, description string) []byte {
	t.Helper()
	return []byte(asJSON(t, consenttypes.RecordDetails{URI: uri, Description: description, Salt: "c2FsdHNhbHRzYWx0c2FsdA"}))
}

// registerRecord registers a record as who in the two transactions a client makes: RegisterRecord
// (args: record id, patient, class, document hash; the details' hash is appended) and, when it
// succeeds, PutRecordDetails with details as transient data. It answers RegisterRecord's result, or
// PutRecordDetails' when that one fails.
func (f *fixture) registerRecord(who string, details []byte, args ...string) *cctest.Result {
	f.t.Helper()
	res := f.invoke(who, "RegisterRecord", append(args, sum(string(details)))...)
	if !res.OK() {
		return res
	}
	put := f.invokeWith(who, "PutRecordDetails", []cctest.CallOption{cctest.WithTransient(map[string][]byte{consenttypes.TransientRecord: details})}, args[0])
	if !put.OK() {
		return put
	}
	return res
}

// recordOpt passes the private details of a record as transient data.
func recordOpt(t testing.TB, uri, description string) []cctest.CallOption {
	t.Helper()
	return []cctest.CallOption{cctest.WithTransient(map[string][]byte{
		consenttypes.TransientRecord: []byte(asJSON(t, consenttypes.RecordDetails{URI: uri, Description: description, Salt: "c2FsdHNhbHRzYWx0c2FsdA"})),
	})}
}

// register grants provider1's organisation a collect permit for Observation (when not yet granted) and
// registers a record of patient1 as provider1.
func (f *fixture) register(recordID, content, uri string) consenttypes.Record {
	f.t.Helper()
	if f.l.State(cc, f.l.Key("consent", "c-collect")) == nil {
		f.grant("patient1", consentDoc("c-collect", pat1, hospital, classes(consenttypes.ClassObservation)))
	}
	res := f.registerRecord("provider1", recordDetails(f.t, uri, "private description"), recordID, pat1, string(consenttypes.ClassObservation), sum(content))
	return cctest.Decode[consenttypes.Record](f.t, res)
}

func itoa(n int) string { return strconv.Itoa(n) }
