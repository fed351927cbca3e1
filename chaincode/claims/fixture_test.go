package claims

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/internal/orgroles"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

// The default layout of common.md.
const (
	hospitalMSP = "HospitalMSP"
	pharmaMSP   = "PharmaMSP"
	insurerMSP  = "InsurerMSP"

	pat1     = "pat-7f3a9c21"
	pat2     = "pat-2b8e4d10"
	npi1     = "1003000126"
	npi2     = "1003000134"
	pharmGLN = "0614141000029"
	payer1   = "PAYER-0001"
	payer2   = "PAYER-0002"

	cc       = "claims"
	covID    = "cov-1"
	testGTIN = "00614141000012"
)

// fakeConsent stands in for the consent chaincode: CheckAccess permits exactly the requests seeded
// with permit, and denies every other one, so a test also proves which arguments the claims contract
// sent. CheckPatient accepts the patients seeded with bindPatient (any key: the real consent chaincode's
// key check is tested in TestPatientReadsUseConsentsBinding).
type fakeConsent struct{}

func consentKey(args []string) string { return "permit|" + strings.Join(args, "|") }

func (fakeConsent) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (fakeConsent) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	if fn == "CheckPatient" && len(args) == 1 {
		v, err := stub.GetState("bound|" + args[0])
		if err != nil {
			return shim.Error("INTERNAL: " + err.Error())
		}
		if v == nil {
			return shim.Error("FORBIDDEN: CheckPatient: patient " + args[0] + " is not registered")
		}
		return shim.Success([]byte(`{}`))
	}
	if fn != "CheckAccess" || len(args) != 5 {
		return shim.Error("INVALID_ARGUMENT: fake consent knows CheckAccess with 5 arguments only")
	}
	v, err := stub.GetState(consentKey(args))
	if err != nil {
		return shim.Error("INTERNAL: " + err.Error())
	}
	d := map[string]any{"decision": "deny", "consentIds": []string{}, "reason": "no active consent permits it", "at": "2025-01-01T09:00:00Z"}
	if v != nil {
		d = map[string]any{"decision": "permit", "consentIds": []string{"c-1"}, "reason": "consent c-1 permits it", "at": "2025-01-01T09:00:00Z"}
	}
	raw, _ := json.Marshal(d)
	return shim.Success(raw)
}

// fakeProvenance stands in for the provenance chaincode: GetUnit answers the units seeded with unit.
type fakeProvenance struct{}

func unitKey(gtin, serial string) string { return "unit|" + gtin + "|" + serial }

func (fakeProvenance) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (fakeProvenance) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	if fn != "GetUnit" || len(args) != 2 {
		return shim.Error("INVALID_ARGUMENT: fake provenance knows GetUnit with 2 arguments only")
	}
	v, err := stub.GetState(unitKey(args[0], args[1]))
	if err != nil {
		return shim.Error("INTERNAL: " + err.Error())
	}
	if v == nil {
		return shim.Error(fmt.Sprintf("NOT_FOUND: unit %s/%s", args[0], args[1]))
	}
	return shim.Success(v)
}

// fixture is a ledger with the claims chaincode deployed through contractapi, fake consent and
// provenance chaincodes, and the demo identities.
type fixture struct {
	t     testing.TB
	l     *cctest.Ledger
	id    map[string]*cctest.Identity
	nonce int
	// noncePrefix starts every nonce nextNonce makes; "nonce-" unless a test plants a marker.
	noncePrefix string
	// the MSP ids of the layout
	hospital, insurer string
}

func newFixture(t testing.TB) *fixture {
	return newFixtureLayout(t, hospitalMSP, insurerMSP)
}

// newFixtureLayout builds the fixture with the hospital's and the insurer's MSP ids.
func newFixtureLayout(t testing.TB, hospital, insurer string) *fixture {
	t.Helper()
	l := cctest.New(t, cctest.WithConsortium(layoutConsortium(hospital, insurer)))
	chaincode, err := NewChaincode()
	require.NoError(t, err)
	l.Register(cc, chaincode)
	l.DefineCollections(cc, claimstypes.Collection)
	l.Register(ConsentChaincode, fakeConsent{})
	l.Register(ProvenanceChaincode, fakeProvenance{})
	f := &fixture{t: t, l: l, id: map[string]*cctest.Identity{}, hospital: hospital, insurer: insurer}
	add := func(name, msp, role, subject string) {
		f.id[name] = l.Identity(msp, name, cctest.RoleAttrs(role, subject))
	}
	add("patient1", hospital, "patient", pat1)
	add("patient2", hospital, "patient", pat2)
	add("provider1", hospital, "provider", npi1)
	add("provider2", hospital, "provider", npi2)
	add("pharmacist1", hospital, "pharmacist", pharmGLN)
	add("insurer1", insurer, "insurer", payer1)
	add("insurer2", insurer, "insurer", payer2)
	add("auditor1", insurer, "auditor", "AUD-0001")
	add("auditorPharma", pharmaMSP, "auditor", "AUD-0009")
	add("manufacturer1", pharmaMSP, "manufacturer", "0614141000005")
	add("rivalInsurer", "RivalMSP", "insurer", payer1)
	f.id["noRole"] = l.Identity(hospital, "noRole", nil)
	f.id["hospitalAdmin"] = l.AdminIdentity(hospital, "hospitalAdmin")
	for _, p := range []string{pat1, pat2} {
		l.SetState(ConsentChaincode, "bound|"+p, []byte("1"))
	}
	return f
}

// layoutConsortium is the consortium map of the fixture's layout: the hospital holds the patient,
// provider and pharmacist roles, the insurer (and RivalMSP, a second payer organisation) the insurer
// role, PharmaMSP the manufacturer role, and auditors sit at the insurer and at PharmaMSP, so that the
// claims tests can tell an auditor of a claim's party from one of another organisation. Which org may
// hold which role is the orgroles tests' subject.
func layoutConsortium(hospital, insurer string) *orgroles.Map {
	m := cctest.DefaultConsortium()
	m.Roles = map[string][]string{
		"patient": {hospital}, "provider": {hospital}, "pharmacist": {hospital},
		"insurer": {insurer, "RivalMSP"}, "auditor": {insurer, pharmaMSP},
		"manufacturer": {pharmaMSP}, "distributor": {pharmaMSP},
	}
	return m
}

func (f *fixture) who(name string) *cctest.Identity {
	f.t.Helper()
	id, ok := f.id[name]
	require.True(f.t, ok, "no identity %s", name)
	return id
}

func (f *fixture) nextNonce() string {
	f.nonce++
	prefix := f.noncePrefix
	if prefix == "" {
		prefix = "nonce-"
	}
	return fmt.Sprintf("%s%026d", prefix, f.nonce)
}

// terms is the default coverage of patient1: 2024-2025, a $500 deductible, 20 % coinsurance, a
// $10,000 annual limit.
func (f *fixture) terms(mod func(*claimstypes.CoverageTerms)) claimstypes.CoverageTerms {
	t := claimstypes.CoverageTerms{
		Member: pat1, PlanID: "PPO-GOLD", PeriodStart: "2024-01-01", PeriodEnd: "2025-12-31",
		CoveredCodes:    []string{"99213", "80053", "36415", testGTIN},
		DeductibleCents: 50_000, CoinsuranceBP: 2_000, AnnualLimitCents: 1_000_000,
		Nonce: f.nextNonce(),
	}
	if mod != nil {
		mod(&t)
	}
	return t
}

func (f *fixture) registerCoverageAs(caller, id string, terms claimstypes.CoverageTerms) *cctest.Result {
	f.t.Helper()
	return f.l.Invoke(cc, f.who(caller), "RegisterCoverage", []string{id}, cctest.WithTransientJSON(claimstypes.TransientCoverage, terms))
}

// setup registers the default coverage and permits disclosure of patient1's claims to the insurer.
func (f *fixture) setup() {
	f.t.Helper()
	cctest.RequireOK(f.t, f.registerCoverageAs("insurer1", covID, f.terms(nil)))
	f.permit(pat1)
}

// permit seeds the consent that CheckAccess must be asked about.
func (f *fixture) permit(patient string) {
	f.l.SetState(ConsentChaincode, consentKey([]string{patient, f.insurer, "disclose", "HPAYMT", "Claim"}), []byte("1"))
}

// dispensed seeds a unit in the fake provenance.
func (f *fixture) unit(serial, status string, by *provenancetypes.Party, recalled bool) {
	f.t.Helper()
	u := provenancetypes.Unit{GTIN: testGTIN, Serial: serial, Lot: "L1", Expiry: "2027-01-31", Status: status,
		Holder: provenancetypes.Party{MSPID: f.hospital, GLN: pharmGLN}, Recalled: recalled, DispensedBy: by}
	raw, err := json.Marshal(u)
	require.NoError(f.t, err)
	f.l.SetState(ProvenanceChaincode, unitKey(testGTIN, serial), raw)
}

func (f *fixture) pharmacy() *provenancetypes.Party {
	return &provenancetypes.Party{MSPID: f.hospital, GLN: pharmGLN}
}

// details is a professional claim of $200: an office visit and a panel on 2024-12-01.
func (f *fixture) details(mod func(*claimstypes.ClaimDetails)) claimstypes.ClaimDetails {
	d := claimstypes.ClaimDetails{
		Diagnoses: []string{"E11.9", "I10"},
		Lines: []claimstypes.ServiceLine{
			{Code: "99213", ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 15_000, DiagnosisPointers: []int{1, 2}},
			{Code: "80053", ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 5_000, DiagnosisPointers: []int{1}},
		},
		TotalCents: 20_000,
		Nonce:      f.nextNonce(),
	}
	if mod != nil {
		mod(&d)
		var total int64
		for _, l := range d.Lines {
			total += l.ChargeCents()
		}
		d.TotalCents = total
	}
	return d
}

func submission(id string) claimstypes.ClaimSubmission {
	return claimstypes.ClaimSubmission{ID: id, Patient: pat1, CoverageID: covID}
}

func toJSON(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

func (f *fixture) submitAs(caller string, sub claimstypes.ClaimSubmission, d claimstypes.ClaimDetails) *cctest.Result {
	f.t.Helper()
	return f.l.Invoke(cc, f.who(caller), "SubmitClaim", []string{toJSON(f.t, sub)}, cctest.WithTransientJSON(claimstypes.TransientClaim, d))
}

// submit submits claim id by provider1 with the default details and requires success.
func (f *fixture) submit(id string) claimstypes.ClaimHeader {
	f.t.Helper()
	return cctest.Decode[claimstypes.ClaimHeader](f.t, f.submitAs("provider1", submission(id), f.details(nil)))
}

func (f *fixture) invoke(caller, fn string, args ...string) *cctest.Result {
	f.t.Helper()
	return f.l.Invoke(cc, f.who(caller), fn, args)
}

func (f *fixture) evaluate(caller, fn string, args ...string) *cctest.Result {
	f.t.Helper()
	return f.l.Evaluate(cc, f.who(caller), fn, args, cctest.WithSealKey(cctest.SealKey()))
}

// header reads a claim's public header straight from world state.
func (f *fixture) header(id string) claimstypes.ClaimHeader {
	f.t.Helper()
	return cctest.StateJSON[claimstypes.ClaimHeader](f.t, f.l, cc, f.l.Key(objClaim, id))
}

// state reads a claim's private record straight from the collection.
func (f *fixture) state(id string) claimState {
	f.t.Helper()
	raw := f.l.PrivateData(cc, claimstypes.Collection, f.l.Key(objClaimRecord, id))
	require.NotNil(f.t, raw, "claim %s has no private record", id)
	var cs claimState
	require.NoError(f.t, json.Unmarshal(raw, &cs))
	return cs
}

// coverageRecord reads a coverage's private record straight from the collection.
func (f *fixture) coverageRecord(id string) claimstypes.CoverageRecord {
	f.t.Helper()
	raw := f.l.PrivateData(cc, claimstypes.Collection, f.l.Key(objCoverageRecord, id))
	require.NotNil(f.t, raw, "coverage %s has no private record", id)
	var r claimstypes.CoverageRecord
	require.NoError(f.t, json.Unmarshal(raw, &r))
	return r
}

func (f *fixture) pay(id string) *cctest.Result {
	f.t.Helper()
	amount := f.state(id).Record.Adjudication.TotalPaidCents
	return f.l.Invoke(cc, f.who("insurer1"), "Pay", []string{id},
		cctest.WithTransientJSON(claimstypes.TransientPayment, claimstypes.PaymentInput{AmountCents: amount, PaymentRef: "EFT-" + id}))
}

// requireFails requires that r failed with code and changed nothing since before.
func (f *fixture) requireFails(t *testing.T, r *cctest.Result, code codes.Code, before cctest.Snapshot) *codes.Error {
	t.Helper()
	ce := cctest.RequireCode(t, r, code)
	f.l.RequireUnchanged(t, before)
	return ce
}
