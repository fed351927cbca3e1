package claims

import (
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubmitClaim(t *testing.T) {
	f := newFixture(t)
	f.setup()
	d := f.details(nil)
	res := f.submitAs("provider1", submission("clm-1"), d)
	h := cctest.Decode[claimstypes.ClaimHeader](t, res)

	t.Run("takes the provider from the certificate and the insurer from the coverage", func(t *testing.T) {
		assert.Equal(t, claimstypes.ClaimHeader{
			ID: "clm-1", ClaimType: claimstypes.ClaimProfessional, ProviderMSP: hospitalMSP, Provider: npi1, Patient: pat1,
			InsurerMSP: insurerMSP, Insurer: payer1, CoverageID: covID, Status: claimstypes.StatusSubmitted,
			FrequencyCode: claimstypes.FrequencyOriginal, DetailsHash: claimstypes.HashDetails(d), SubmittedAt: res.Time, UpdatedAt: res.Time,
		}, h)
		assert.Equal(t, h, f.header("clm-1"))
	})
	t.Run("keeps diagnoses, services and amounts out of public state and out of the event", func(t *testing.T) {
		public := []string{string(res.Payload), string(res.Event.Payload)}
		for _, k := range f.l.Keys(cc) {
			public = append(public, k+"="+string(f.l.State(cc, k)))
		}
		all := strings.Join(public, "\n")
		for _, phi := range []string{"E11.9", "I10", "99213", "80053", "15000", "20000", d.Nonce} {
			assert.NotContains(t, all, phi)
		}
	})
	t.Run("keeps the details in the private collection under the public hash", func(t *testing.T) {
		cs := f.state("clm-1")
		assert.Equal(t, d.Normalized(), cs.Record.Details)
		assert.Equal(t, h.DetailsHash, cs.Record.DetailsHash)
		assert.Equal(t, h.DetailsHash, claimstypes.HashDetails(cs.Record.Details))
		assert.NotEmpty(t, cs.Fingerprint)
		assert.Nil(t, cs.Record.Adjudication)
	})
	t.Run("the duplicate index keys reveal no claim content", func(t *testing.T) {
		for _, k := range f.l.PrivateKeys(cc, claimstypes.Collection) {
			for _, phi := range []string{pat1, npi1, "99213", "2024-12-01"} {
				if strings.Contains(k, objClaimFP) || strings.Contains(k, objLineFP) || strings.Contains(k, objUnitFP) {
					assert.NotContains(t, k, phi)
				}
			}
		}
	})
	t.Run("emits ClaimSubmitted with ids only", func(t *testing.T) {
		ev := cctest.RequireEvent[claimstypes.ClaimEvent](t, res, claimstypes.EventClaimSubmitted)
		assert.Equal(t, claimstypes.ClaimEvent{ClaimID: "clm-1", Status: claimstypes.StatusSubmitted, ProviderMSP: hospitalMSP, Provider: npi1,
			InsurerMSP: insurerMSP, Insurer: payer1, At: res.Time}, ev)
	})
	t.Run("accepts the parties in the header when they match", func(t *testing.T) {
		sub := submission("clm-2")
		sub.ProviderMSP, sub.Provider, sub.InsurerMSP, sub.Insurer = hospitalMSP, npi1, insurerMSP, payer1
		cctest.RequireOK(t, f.submitAs("provider1", sub, f.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].ServiceDate = "2024-11-30" })))
	})
}

func TestSubmitClaimNeedsThePatientsConsent(t *testing.T) {
	f := newFixture(t)
	cctest.RequireOK(t, f.registerCoverageAs("insurer1", covID, f.terms(nil)))
	before := f.l.Snapshot()

	ce := f.requireFails(t, f.submitAs("provider1", submission("clm-1"), f.details(nil)), codes.Forbidden, before)
	assert.Equal(t, "no consent for disclose of Claim to InsurerMSP for HPAYMT: no active consent permits it", ce.Message)

	t.Run("and is accepted once the patient permits disclosure to the insurer for payment", func(t *testing.T) {
		f.permit(pat1)
		cctest.RequireOK(t, f.submitAs("provider1", submission("clm-1"), f.details(nil)))
	})
}

func TestSubmitClaimRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.permit(pat2)
	cctest.RequireOK(t, f.registerCoverageAs("insurer1", "cov-pat2", f.terms(func(c *claimstypes.CoverageTerms) { c.Member = pat2 })))

	cases := []struct {
		name   string
		header string
		claim  func(*claimstypes.ClaimDetails)
		raw    []byte // when set, the raw transient claim
		none   bool   // no transient claim at all
		code   codes.Code
	}{
		{name: "a malformed ICD-10 code", claim: func(d *claimstypes.ClaimDetails) { d.Diagnoses[0] = "1E11.9" }, code: codes.InvalidArgument},
		{name: "a malformed service code", claim: func(d *claimstypes.ClaimDetails) { d.Lines[0].Code = "9921" }, code: codes.InvalidArgument},
		{name: "a negative charge", claim: func(d *claimstypes.ClaimDetails) { d.Lines[1].UnitChargeCents = -1 }, code: codes.InvalidArgument},
		{name: "a date of service in the future", claim: func(d *claimstypes.ClaimDetails) { d.Lines[1].ServiceDate = "2025-01-02" }, code: codes.InvalidArgument},
		{name: "a total that is not the sum of its lines", raw: []byte(`{"diagnoses":["E11.9"],"lines":[{"code":"99213","serviceDate":"2024-12-01","quantity":1,"unitChargeCents":100}],"totalCents":101,"nonce":"0123456789abcdef0123456789abcdef"}`), code: codes.InvalidArgument},
		{name: "missing transient details", none: true, code: codes.InvalidArgument},
		{name: "details that are not JSON", raw: []byte(`{"diagnoses":`), code: codes.InvalidArgument},
		{name: "details with an unknown field", raw: []byte(`{"diagnoses":["E11.9"],"lines":[],"totalCents":0,"nonce":"0123456789abcdef0123456789abcdef","ssn":"1"}`), code: codes.InvalidArgument},
		{name: "a header that is not JSON", header: `{"id":`, code: codes.InvalidArgument},
		{name: "a header with an unknown field", header: `{"id":"clm-9","patient":"pat-7f3a9c21","coverageId":"cov-1","amount":5}`, code: codes.InvalidArgument},
		{name: "a malformed claim id", header: `{"id":"clm 9","patient":"pat-7f3a9c21","coverageId":"cov-1"}`, code: codes.InvalidArgument},
		{name: "an unsupported frequency code", header: `{"id":"clm-9","patient":"pat-7f3a9c21","coverageId":"cov-1","frequencyCode":"2"}`, code: codes.InvalidArgument},
		{name: "an unknown coverage", header: `{"id":"clm-9","patient":"pat-7f3a9c21","coverageId":"cov-404"}`, code: codes.NotFound},
		{name: "a coverage of another patient", header: `{"id":"clm-9","patient":"pat-7f3a9c21","coverageId":"cov-pat2"}`, code: codes.InvalidArgument},
		{name: "an insurer that is not the coverage's", header: `{"id":"clm-9","patient":"pat-7f3a9c21","coverageId":"cov-1","insurer":"PAYER-0002"}`, code: codes.InvalidArgument},
		{name: "another provider named in the header", header: `{"id":"clm-9","patient":"pat-7f3a9c21","coverageId":"cov-1","provider":"1003000134"}`, code: codes.Forbidden},
		{name: "a replacement of an unknown claim", header: `{"id":"clm-9","patient":"pat-7f3a9c21","coverageId":"cov-1","frequencyCode":"7","originalClaimId":"clm-404"}`, code: codes.NotFound},
	}
	for _, tc := range cases {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			header := tc.header
			if header == "" {
				header = toJSON(t, submission("clm-9"))
			}
			var opts []cctest.CallOption
			switch {
			case tc.none:
			case tc.raw != nil:
				opts = append(opts, cctest.WithTransient(map[string][]byte{claimstypes.TransientClaim: tc.raw}))
			default:
				opts = append(opts, cctest.WithTransientJSON(claimstypes.TransientClaim, f.details(tc.claim)))
			}
			before := f.l.Snapshot()
			res := f.l.Invoke(cc, f.who("provider1"), "SubmitClaim", []string{header}, opts...)
			f.requireFails(t, res, tc.code, before)
		})
	}
	for _, caller := range []string{"patient1", "insurer1", "auditor1", "manufacturer1", "noRole"} {
		t.Run("refuses a claim submitted by "+caller, func(t *testing.T) {
			before := f.l.Snapshot()
			f.requireFails(t, f.submitAs(caller, submission("clm-9"), f.details(nil)), codes.Forbidden, before)
		})
	}
}

func TestDuplicateClaims(t *testing.T) {
	f := newFixture(t)
	f.setup()
	d := f.details(nil)
	cctest.RequireOK(t, f.submitAs("provider1", submission("clm-1"), d))

	t.Run("a second identical claim is a duplicate naming the first", func(t *testing.T) {
		before := f.l.Snapshot()
		ce := f.requireFails(t, f.submitAs("provider1", submission("clm-2"), f.details(nil)), codes.Duplicate, before)
		assert.Contains(t, ce.Message, "duplicates claim clm-1")
	})
	t.Run("reordered lines, other diagnoses and a new nonce are still the same claim", func(t *testing.T) {
		same := f.details(func(d *claimstypes.ClaimDetails) {
			d.Lines[0], d.Lines[1] = d.Lines[1], d.Lines[0]
			d.Lines[0].DiagnosisPointers, d.Lines[1].DiagnosisPointers = nil, nil
			d.Diagnoses = []string{"J45.909"}
		})
		before := f.l.Snapshot()
		f.requireFails(t, f.submitAs("provider1", submission("clm-2"), same), codes.Duplicate, before)
	})
	t.Run("the same id with the same content is a duplicate of itself", func(t *testing.T) {
		before := f.l.Snapshot()
		ce := f.requireFails(t, f.submitAs("provider1", submission("clm-1"), d), codes.Duplicate, before)
		assert.Contains(t, ce.Message, "already submitted")
	})
	t.Run("the same id with other content is a conflict", func(t *testing.T) {
		before := f.l.Snapshot()
		other := f.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].UnitChargeCents = 15_001 })
		f.requireFails(t, f.submitAs("provider1", submission("clm-1"), other), codes.Conflict, before)
	})
	t.Run("the same id from another provider is a conflict", func(t *testing.T) {
		before := f.l.Snapshot()
		f.requireFails(t, f.submitAs("provider2", submission("clm-1"), d), codes.Conflict, before)
	})
	t.Run("another charge is another claim", func(t *testing.T) {
		cctest.RequireOK(t, f.submitAs("provider1", submission("clm-3"), f.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].UnitChargeCents = 15_001 })))
	})
	t.Run("the same services by another provider are another claim", func(t *testing.T) {
		cctest.RequireOK(t, f.submitAs("provider2", submission("clm-4"), f.details(nil)))
	})
	t.Run("a voided claim's services can be billed again", func(t *testing.T) {
		cctest.RequireOK(t, f.invoke("provider1", "Void", "clm-1", "entered for the wrong date"))
		cctest.RequireOK(t, f.submitAs("provider1", submission("clm-5"), f.details(nil)))
	})
}

func TestReplacementClaims(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.submit("clm-1")
	cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-1"))
	accBefore := f.coverageRecord(covID).Accumulators
	require.NotEmpty(t, accBefore)

	replacement := submission("clm-1r")
	replacement.FrequencyCode, replacement.OriginalClaimID = claimstypes.FrequencyReplacement, "clm-1"

	t.Run("another provider may not replace the claim", func(t *testing.T) {
		before := f.l.Snapshot()
		f.requireFails(t, f.submitAs("provider2", replacement, f.details(nil)), codes.NotFound, before)
	})
	t.Run("a replacement must keep the patient", func(t *testing.T) {
		f.permit(pat2)
		cctest.RequireOK(t, f.registerCoverageAs("insurer1", "cov-pat2", f.terms(func(c *claimstypes.CoverageTerms) { c.Member = pat2 })))
		before := f.l.Snapshot()
		sub := replacement
		sub.Patient, sub.CoverageID = pat2, "cov-pat2"
		f.requireFails(t, f.submitAs("provider1", sub, f.details(nil)), codes.InvalidArgument, before)
	})

	res := f.submitAs("provider1", replacement, f.details(nil))
	h := cctest.Decode[claimstypes.ClaimHeader](t, res)
	t.Run("an identical replacement of an adjudicated claim is accepted and names its original", func(t *testing.T) {
		assert.Equal(t, claimstypes.StatusSubmitted, h.Status)
		assert.Equal(t, claimstypes.FrequencyReplacement, h.FrequencyCode)
		assert.Equal(t, "clm-1", h.OriginalClaimID)
		ev := cctest.RequireEvent[claimstypes.ClaimEvent](t, res, claimstypes.EventClaimSubmitted)
		assert.Equal(t, "clm-1", ev.RelatedClaimID)
	})
	t.Run("the original is replaced and points to its replacement", func(t *testing.T) {
		o := f.header("clm-1")
		assert.Equal(t, claimstypes.StatusReplaced, o.Status)
		assert.Equal(t, "clm-1r", o.RelatedClaimID)
		assert.Equal(t, res.Time, o.UpdatedAt)
	})
	t.Run("the original's contributions leave the accumulators", func(t *testing.T) {
		assert.Empty(t, f.coverageRecord(covID).Accumulators)
	})
	t.Run("the replacement now holds the fingerprint", func(t *testing.T) {
		before := f.l.Snapshot()
		ce := f.requireFails(t, f.submitAs("provider1", submission("clm-2"), f.details(nil)), codes.Duplicate, before)
		assert.Contains(t, ce.Message, "duplicates claim clm-1r")
	})
	t.Run("a replaced claim cannot be replaced again", func(t *testing.T) {
		before := f.l.Snapshot()
		again := replacement
		again.ID = "clm-1rr"
		f.requireFails(t, f.submitAs("provider1", again, f.details(nil)), codes.PreconditionFailed, before)
	})
	t.Run("the replacement adjudicates like the original did", func(t *testing.T) {
		cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-1r"))
		assert.Equal(t, accBefore, f.coverageRecord(covID).Accumulators)
		assert.Equal(t, f.state("clm-1").Record.Adjudication.Lines, f.state("clm-1r").Record.Adjudication.Lines)
	})
	t.Run("a paid claim cannot be replaced", func(t *testing.T) {
		cctest.RequireOK(t, f.pay("clm-1r"))
		before := f.l.Snapshot()
		sub := replacement
		sub.ID, sub.OriginalClaimID = "clm-1rr", "clm-1r"
		f.requireFails(t, f.submitAs("provider1", sub, f.details(nil)), codes.PreconditionFailed, before)
	})
}

func TestVoidClaims(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.submit("clm-1")
	void := submission("clm-1v")
	void.FrequencyCode, void.OriginalClaimID = claimstypes.FrequencyVoid, "clm-1"

	res := f.submitAs("provider1", void, f.details(nil))
	h := cctest.Decode[claimstypes.ClaimHeader](t, res)
	t.Run("a void claim is recorded closed and voids its original", func(t *testing.T) {
		assert.Equal(t, claimstypes.StatusClosed, h.Status)
		assert.Equal(t, claimstypes.FrequencyVoid, h.FrequencyCode)
		o := f.header("clm-1")
		assert.Equal(t, claimstypes.StatusVoided, o.Status)
		assert.Equal(t, "clm-1v", o.RelatedClaimID)
	})
	t.Run("it emits ClaimVoided for the original", func(t *testing.T) {
		ev := cctest.RequireEvent[claimstypes.ClaimEvent](t, res, claimstypes.EventClaimVoided)
		assert.Equal(t, "clm-1", ev.ClaimID)
		assert.Equal(t, claimstypes.StatusVoided, ev.Status)
		assert.Equal(t, "clm-1v", ev.RelatedClaimID)
	})
	t.Run("the voided services can be billed again", func(t *testing.T) {
		cctest.RequireOK(t, f.submitAs("provider1", submission("clm-2"), f.details(nil)))
	})
	t.Run("an adjudicated claim cannot be voided", func(t *testing.T) {
		cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-2"))
		before := f.l.Snapshot()
		sub := void
		sub.ID, sub.OriginalClaimID = "clm-2v", "clm-2"
		f.requireFails(t, f.submitAs("provider1", sub, f.details(nil)), codes.PreconditionFailed, before)
	})
}

func TestPharmacyClaims(t *testing.T) {
	f := newFixture(t)
	f.setup()
	drug := func(serial string) claimstypes.ClaimDetails {
		return f.details(func(d *claimstypes.ClaimDetails) {
			d.Lines = []claimstypes.ServiceLine{{Code: testGTIN, ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 4_200,
				Unit: &claimstypes.UnitRef{GTIN: testGTIN, Serial: serial}}}
		})
	}
	f.unit("SN-1", provenancetypes.UnitDispensed, f.pharmacy(), false)

	res := f.submitAs("pharmacist1", submission("rx-1"), drug("SN-1"))
	h := cctest.Decode[claimstypes.ClaimHeader](t, res)
	t.Run("a pharmacist's claim for a unit it dispensed is a pharmacy claim", func(t *testing.T) {
		assert.Equal(t, claimstypes.ClaimPharmacy, h.ClaimType)
		assert.Equal(t, pharmGLN, h.Provider)
	})
	t.Run("the same unit cannot be claimed twice", func(t *testing.T) {
		before := f.l.Snapshot()
		d := drug("SN-1")
		d.Lines[0].UnitChargeCents = 4_300
		d.TotalCents = 4_300
		ce := f.requireFails(t, f.submitAs("pharmacist1", submission("rx-2"), d), codes.Duplicate, before)
		assert.Contains(t, ce.Message, "already claimed by claim rx-1")
	})

	other := &provenancetypes.Party{MSPID: f.hospital, GLN: "0614141000036"}
	f.unit("SN-2", provenancetypes.UnitActive, nil, false)
	f.unit("SN-3", provenancetypes.UnitDispensed, f.pharmacy(), true)
	f.unit("SN-4", provenancetypes.UnitDispensed, other, false)
	f.unit("SN-5", provenancetypes.UnitDispensed, &provenancetypes.Party{MSPID: pharmaMSP, GLN: pharmGLN}, false)
	cases := []struct {
		name, serial string
		code         codes.Code
		message      string
	}{
		{"a unit provenance does not know", "SN-404", codes.PreconditionFailed, "unknown to provenance"},
		{"a unit that was not dispensed", "SN-2", codes.PreconditionFailed, "is active, not dispensed"},
		{"a recalled unit", "SN-3", codes.PreconditionFailed, "recalled"},
		{"a unit dispensed by another pharmacy", "SN-4", codes.Forbidden, "dispensed by 0614141000036@"},
		{"a unit dispensed under the same GLN by another organisation", "SN-5", codes.Forbidden, "dispensed by 0614141000029@PharmaMSP"},
	}
	for _, tc := range cases {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			before := f.l.Snapshot()
			ce := f.requireFails(t, f.submitAs("pharmacist1", submission("rx-9"), drug(tc.serial)), tc.code, before)
			assert.Contains(t, ce.Message, tc.message)
		})
	}
	t.Run("refuses a drug line on a provider's professional claim", func(t *testing.T) {
		before := f.l.Snapshot()
		f.requireFails(t, f.submitAs("provider1", submission("rx-9"), drug("SN-1")), codes.InvalidArgument, before)
	})
	t.Run("the drug line adjudicates against the covered GTIN", func(t *testing.T) {
		cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "rx-1"))
		adj := f.state("rx-1").Record.Adjudication
		assert.Equal(t, claimstypes.OutcomeApproved, adj.Outcome)
		assert.Equal(t, int64(4_200), adj.TotalAllowedCents)
	})
}
