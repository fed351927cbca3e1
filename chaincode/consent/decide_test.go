package consent_test

import (
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

func TestCheckAccessDecides(t *testing.T) {
	start := cctest.DefaultStart()
	provider1 := hospital + "/provider/" + npi1
	tests := []struct {
		name     string
		consents []consenttypes.Consent
		grantee  string
		purpose  consenttypes.Purpose
		at       time.Time
		want     consenttypes.Verdict
		ids      []string
	}{
		{name: "without a consent the answer is deny", grantee: provider1, want: consenttypes.Deny, ids: []string{}},
		{name: "an organisation-wide permit covers a provider of it",
			consents: []consenttypes.Consent{consentDoc("c-1", pat1, hospital)}, grantee: provider1, want: consenttypes.Permit, ids: []string{"c-1"}},
		{name: "deny overrides permit",
			consents: []consenttypes.Consent{consentDoc("c-1", pat1, hospital), consentDoc("c-2", pat1, provider1, deny)},
			grantee:  provider1, want: consenttypes.Deny, ids: []string{"c-2"}},
		{name: "a deny for one provider does not deny a colleague",
			consents: []consenttypes.Consent{consentDoc("c-1", pat1, hospital), consentDoc("c-2", pat1, provider1, deny)},
			grantee:  hospital + "/provider/" + npi2, want: consenttypes.Permit, ids: []string{"c-1"}},
		{name: "an expired consent does not permit",
			consents: []consenttypes.Consent{consentDoc("c-1", pat1, hospital, period(time.Time{}, start.Add(time.Hour)))},
			grantee:  provider1, at: start.Add(2 * time.Hour), want: consenttypes.Deny, ids: []string{}},
		{name: "a not-yet-valid consent does not permit",
			consents: []consenttypes.Consent{consentDoc("c-1", pat1, hospital, period(start.Add(time.Hour), time.Time{}))},
			grantee:  provider1, want: consenttypes.Deny, ids: []string{}},
		{name: "a consent inside its period permits",
			consents: []consenttypes.Consent{consentDoc("c-1", pat1, hospital, period(start.Add(time.Hour), start.Add(3*time.Hour)))},
			grantee:  provider1, at: start.Add(2 * time.Hour), want: consenttypes.Permit, ids: []string{"c-1"}},
		{name: "emergency access is denied unless a consent allows it",
			consents: []consenttypes.Consent{consentDoc("c-1", pat1, hospital)}, grantee: provider1, purpose: consenttypes.PurposeEmergency, want: consenttypes.Deny, ids: []string{}},
		{name: "emergency access is permitted where a consent allows it",
			consents: []consenttypes.Consent{consentDoc("c-1", pat1, hospital, purposes(consenttypes.PurposeEmergency))}, grantee: provider1, purpose: consenttypes.PurposeEmergency,
			want: consenttypes.Permit, ids: []string{"c-1"}},
		{name: "another patient's consent does not decide",
			consents: []consenttypes.Consent{consentDoc("c-1", pat2, hospital)}, grantee: provider1, want: consenttypes.Deny, ids: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			for _, c := range tc.consents {
				owner := "patient1"
				if c.Patient == pat2 {
					owner = "patient2"
				}
				f.grant(owner, c)
			}
			purpose := tc.purpose
			if purpose == "" {
				purpose = consenttypes.PurposeTreatment
			}
			var opts []cctest.CallOption
			if !tc.at.IsZero() {
				opts = append(opts, cctest.At(tc.at))
			}
			// An auditor asks: a provider may ask only about itself or about a disclosure.
			res := f.l.Evaluate(cc, f.who("auditor1"), "CheckAccess",
				[]string{pat1, tc.grantee, string(consenttypes.ActionAccess), string(purpose), string(consenttypes.ClassObservation)}, opts...)
			d := cctest.Decode[consenttypes.Decision](t, res)
			require.Equal(t, tc.want, d.Decision, d.Reason)
			require.Equal(t, tc.ids, d.ConsentIDs)
			require.Equal(t, res.Time, d.At)
			require.NotEmpty(t, d.Reason)
		})
	}
}

func TestCheckAccessCallers(t *testing.T) {
	f := newFixture(t)
	f.grant("patient1", consentDoc("c-1", pat1, insurer, actions(consenttypes.ActionDisclose), purposes(consenttypes.PurposePayment), classes(consenttypes.ClassClaim)))
	cctest.RequireOK(t, f.invoke("patient3", "AddDelegate", pat2, hospital))
	tests := []struct {
		name    string
		caller  string
		patient string
		grantee string
		code    codes.Code // "" = answered
	}{
		{"the patient asks about their own data", "patient1", pat1, insurer, ""},
		{"a delegate asks for the patient", "patient2", pat3, insurer, ""},
		{"an auditor asks about anyone", "auditor1", pat1, hospital, ""},
		{"a provider asks before a disclosure", "provider1", pat1, insurer, ""},
		{"a pharmacist asks before a disclosure", "pharmacist1", pat1, insurer, ""},
		{"an insurer asks about itself", "insurer1", pat1, insurer + "/insurer/PAYER-0001", ""},
		{"a manufacturer asks about its own organisation", "manufacturer1", pat1, pharma, ""},
		{"another patient may not ask", "patient2", pat1, insurer, codes.Forbidden},
		{"a certificate of another MSP claiming the patient's id may not ask", "impostor1", pat1, hospital, codes.Forbidden},
		{"an insurer may not ask about another organisation", "insurer1", pat1, hospital, codes.Forbidden},
		{"a distributor may not ask about the insurer", "distributor1", pat1, insurer, codes.Forbidden},
		{"a certificate without attributes may not ask", "noattrs", pat1, hospital, codes.Forbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := f.eval(tc.caller, "CheckAccess", tc.patient, tc.grantee, "disclose", "HPAYMT", "Claim")
			if tc.code == "" {
				cctest.Decode[consenttypes.Decision](t, res)
				return
			}
			cctest.RequireCode(t, res, tc.code)
		})
	}
	t.Run("the impostor is refused once the patient's MSP is bound", func(t *testing.T) {
		require.NotNil(t, f.l.State(cc, f.l.Key("patient", pat1)))
		cctest.RequireCode(t, f.invoke("impostor1", "Grant", asJSON(t, consentDoc("c-x", pat1, insurer))), codes.Forbidden)
	})
}

func TestCheckAccessRejectsBadInput(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		args []string
	}{
		{"an unknown action", []string{pat1, hospital, "sell", "TREAT", "Observation"}},
		{"an unknown purpose", []string{pat1, hospital, "access", "FUN", "Observation"}},
		{"an unknown class", []string{pat1, hospital, "access", "TREAT", "Genome"}},
		{"the wildcard class", []string{pat1, hospital, "access", "TREAT", "*"}},
		{"a malformed patient", []string{"pat 1", hospital, "access", "TREAT", "Observation"}},
		{"a malformed grantee", []string{pat1, "HospitalMSP/provider/a b", "access", "TREAT", "Observation"}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is an invalid argument", func(t *testing.T) {
			cctest.RequireCode(t, f.eval("provider1", "CheckAccess", tc.args...), codes.InvalidArgument)
		})
	}
}

// claimsStub is a stand-in for the claims chaincode: it asks consent, through InvokeChaincode, whether
// the patient lets the insurer receive a claim for payment, as the real claims chaincode does.
type claimsStub struct{}

func (claimsStub) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (claimsStub) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	args := stub.GetStringArgs() // [fn, patient, insurer MSP]
	resp := stub.InvokeChaincode("consent", [][]byte{
		[]byte("CheckAccess"), []byte(args[1]), []byte(args[2]), []byte("disclose"), []byte("HPAYMT"), []byte("Claim"),
	}, "")
	if resp.GetStatus() >= shim.ERRORTHRESHOLD {
		return shim.Error(resp.GetMessage())
	}
	return shim.Success(resp.GetPayload())
}

func TestCheckAccessFromTheClaimsChaincode(t *testing.T) {
	f := newFixture(t)
	f.l.Register("claims", claimsStub{})
	t.Run("a provider's claim is refused without a consent", func(t *testing.T) {
		d := cctest.Decode[consenttypes.Decision](t, f.l.Invoke("claims", f.who("provider1"), "Submit", []string{pat1, insurer}))
		require.Equal(t, consenttypes.Deny, d.Decision)
	})
	t.Run("a provider's claim is answered permit once the patient consents", func(t *testing.T) {
		f.grant("patient1", consentDoc("c-pay", pat1, insurer, actions(consenttypes.ActionDisclose), purposes(consenttypes.PurposePayment), classes(consenttypes.ClassClaim)))
		d := cctest.Decode[consenttypes.Decision](t, f.l.Invoke("claims", f.who("provider1"), "Submit", []string{pat1, insurer}))
		require.Equal(t, consenttypes.Permit, d.Decision)
		require.Equal(t, []string{"c-pay"}, d.ConsentIDs)
	})
}

// countingCC wraps a chaincode and counts the state entries each call reads: single keys and every
// entry a range iterator yields.
type countingCC struct {
	inner shim.Chaincode
	reads *atomic.Int64
}

func (c countingCC) Init(stub shim.ChaincodeStubInterface) *peer.Response { return c.inner.Init(stub) }

func (c countingCC) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	return c.inner.Invoke(&countingStub{ChaincodeStubInterface: stub, reads: c.reads})
}

type countingStub struct {
	shim.ChaincodeStubInterface
	reads *atomic.Int64
}

func (s *countingStub) GetState(key string) ([]byte, error) {
	s.reads.Add(1)
	return s.ChaincodeStubInterface.GetState(key)
}

func (s *countingStub) GetStateByPartialCompositeKey(objectType string, attrs []string) (shim.StateQueryIteratorInterface, error) {
	it, err := s.ChaincodeStubInterface.GetStateByPartialCompositeKey(objectType, attrs)
	if err != nil {
		return nil, err
	}
	return &countingIter{StateQueryIteratorInterface: it, reads: s.reads}, nil
}

func (s *countingStub) GetStateByPartialCompositeKeyWithPagination(objectType string, attrs []string, size int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	it, meta, err := s.ChaincodeStubInterface.GetStateByPartialCompositeKeyWithPagination(objectType, attrs, size, bookmark)
	if err != nil {
		return nil, nil, err
	}
	return &countingIter{StateQueryIteratorInterface: it, reads: s.reads}, meta, nil
}

type countingIter struct {
	shim.StateQueryIteratorInterface
	reads *atomic.Int64
}

func (it *countingIter) Next() (*queryresult.KV, error) {
	it.reads.Add(1)
	return it.StateQueryIteratorInterface.Next()
}

func TestDecisionCostDoesNotDependOnOtherPatients(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100,000 consents")
	}
	// measure seeds `others` consents of other patients for the same organisation straight into the
	// decision index (the adjacent key range), then counts what a decision and a logged access read.
	measure := func(t *testing.T, others int) (check, access int64) {
		var reads atomic.Int64
		f := newFixtureWith(t, func(c shim.Chaincode) shim.Chaincode { return countingCC{inner: c, reads: &reads} })
		f.grant("patient1", consentDoc("c-1", pat1, hospital))
		f.grant("patient1", consentDoc("c-2", pat1, hospital+"/provider", purposes(consenttypes.PurposeResearch)))
		f.grant("patient1", consentDoc("c-3", pat1, hospital+"/provider/"+npi2, deny))
		for i := range others {
			patient := "pat-x" + itoa(1000000+i)
			c := consentDoc("o-"+itoa(i), patient, hospital)
			c.Status, c.Version = consenttypes.StatusActive, 1
			raw, err := json.Marshal(c)
			require.NoError(t, err)
			f.l.SetState(cc, f.l.Key("consent~pg", patient, hospital, c.ID), raw)
		}
		reads.Store(0)
		d := f.check("provider1", pat1, hospital+"/provider/"+npi1, consenttypes.ActionAccess, consenttypes.PurposeTreatment, consenttypes.ClassObservation)
		require.Equal(t, consenttypes.Permit, d.Decision)
		check = reads.Swap(0)
		cctest.RequireOK(t, f.invoke("provider1", "RecordAccess", pat1, "Observation", "TREAT", "r-1"))
		access = reads.Load()
		return check, access
	}
	check10, access10 := measure(t, 10)
	check100k, access100k := measure(t, 100_000)
	require.Equal(t, int64(4), check10, "a decision reads the consortium map (the caller's role) and the patient's three consents for the organisation")
	require.Equal(t, check10, check100k, "a decision costs the same with 10 or 100,000 consents of others")
	require.Equal(t, access10, access100k, "a logged access costs the same with 10 or 100,000 consents of others")
}
