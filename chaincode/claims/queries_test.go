package claims

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClaimReaders(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.submit("clm-1")
	cases := []struct {
		caller          string
		header, details bool
	}{
		{"provider1", true, true},
		{"provider2", false, false},
		{"pharmacist1", false, false},
		{"insurer1", true, true},
		{"insurer2", false, false},
		{"rivalInsurer", false, false},
		{"patient1", true, false},
		{"patient2", false, false},
		{"auditor1", true, true},
		{"auditorPharma", true, false},
		{"manufacturer1", false, false},
		{"noRole", false, false},
	}
	for _, tc := range cases {
		verb := map[bool]string{true: " reads ", false: " may not read "}
		t.Run(tc.caller+verb[tc.header]+"the claim and its history", func(t *testing.T) {
			res := f.evaluate(tc.caller, "GetClaim", "clm-1")
			hist := f.evaluate(tc.caller, "ClaimHistory", "clm-1")
			if tc.header {
				assert.Equal(t, "clm-1", cctest.Decode[claimstypes.ClaimHeader](t, res).ID)
				assert.Len(t, cctest.Decode[[]claimstypes.ClaimHistoryEntry](t, hist), 1)
			} else {
				// The answer of a missing claim: nothing tells the caller clm-1 exists.
				cctest.RequireCode(t, res, codes.NotFound)
				cctest.RequireCode(t, hist, codes.NotFound)
				assert.Equal(t, strings.ReplaceAll(f.evaluate(tc.caller, "GetClaim", "clm-404").Message, "clm-404", "clm-1"), res.Message)
			}
		})
		t.Run(tc.caller+verb[tc.details]+"the claim's details", func(t *testing.T) {
			res := f.evaluate(tc.caller, "GetClaimDetails", "clm-1")
			if tc.details {
				assert.Equal(t, []string{"E11.9", "I10"}, cctest.DecodeSealed[claimstypes.ClaimRecord](t, res).Details.Diagnoses)
			} else {
				cctest.RequireCode(t, res, codes.NotFound)
				assert.NotContains(t, res.Message, pat1)
			}
		})
	}
	t.Run("an unknown claim is not found", func(t *testing.T) {
		cctest.RequireCode(t, f.evaluate("insurer1", "GetClaim", "clm-404"), codes.NotFound)
		cctest.RequireCode(t, f.evaluate("insurer1", "GetClaimDetails", "clm-404"), codes.NotFound)
		cctest.RequireCode(t, f.evaluate("insurer1", "ClaimHistory", "clm-404"), codes.NotFound)
	})
}

// ids lists a page's claim ids.
func ids(p claimstypes.ClaimPage) []string {
	out := []string{}
	for _, h := range p.Items {
		out = append(out, h.ID)
	}
	return out
}

func TestListClaims(t *testing.T) {
	f := newFixture(t)
	f.setup()
	for i := 1; i <= 5; i++ {
		d := f.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].UnitChargeCents = 10_000 + int64(i) })
		cctest.RequireOK(t, f.submitAs("provider1", submission("clm-"+strconv.Itoa(i)), d))
	}
	cctest.RequireOK(t, f.submitAs("provider2", submission("clm-9"), f.details(nil)))
	cctest.RequireOK(t, f.invoke("insurer1", "Pend", "clm-2", "notes"))
	cctest.RequireOK(t, f.invoke("insurer1", "Pend", "clm-4", "notes"))
	list := func(caller, fn string, args ...string) claimstypes.ClaimPage {
		t.Helper()
		return cctest.Decode[claimstypes.ClaimPage](t, f.evaluate(caller, fn, args...))
	}

	t.Run("a provider pages through its own claims", func(t *testing.T) {
		p1 := list("provider1", "ListClaimsByProvider", hospitalMSP, npi1, "2", "")
		assert.Equal(t, []string{"clm-1", "clm-2"}, ids(p1))
		require.NotEmpty(t, p1.Bookmark)
		p2 := list("provider1", "ListClaimsByProvider", hospitalMSP, npi1, "2", p1.Bookmark)
		assert.Equal(t, []string{"clm-3", "clm-4"}, ids(p2))
		p3 := list("provider1", "ListClaimsByProvider", hospitalMSP, npi1, "2", p2.Bookmark)
		assert.Equal(t, []string{"clm-5"}, ids(p3))
		assert.Empty(t, p3.Bookmark)
	})
	t.Run("an empty page has an empty item list", func(t *testing.T) {
		p := list("auditor1", "ListClaimsByProvider", hospitalMSP, "1999999999", "10", "")
		assert.NotNil(t, p.Items)
		assert.Empty(t, p.Items)
	})
	t.Run("a provider may not list another provider's claims", func(t *testing.T) {
		cctest.RequireCode(t, f.evaluate("provider2", "ListClaimsByProvider", hospitalMSP, npi1, "10", ""), codes.Forbidden)
	})
	t.Run("the insurer lists the claims sent to its organisation", func(t *testing.T) {
		assert.Equal(t, []string{"clm-1", "clm-2", "clm-3", "clm-4", "clm-5", "clm-9"}, ids(list("insurer1", "ListClaimsByInsurer", insurerMSP, "0", "")))
	})
	t.Run("an insurer of another organisation may not list them", func(t *testing.T) {
		cctest.RequireCode(t, f.evaluate("rivalInsurer", "ListClaimsByInsurer", insurerMSP, "10", ""), codes.Forbidden)
	})
	t.Run("lists follow status changes", func(t *testing.T) {
		assert.Equal(t, []string{"clm-2", "clm-4"}, ids(list("insurer1", "ListClaimsByStatus", "pended", "10", "")))
		assert.Equal(t, []string{"clm-1", "clm-3", "clm-5", "clm-9"}, ids(list("auditor1", "ListClaimsByStatus", "submitted", "10", "")))
	})
	t.Run("an insurer sees only its own organisation's claims by status", func(t *testing.T) {
		assert.Empty(t, ids(list("rivalInsurer", "ListClaimsByStatus", "pended", "10", "")))
	})
	t.Run("a provider may not list claims by status", func(t *testing.T) {
		cctest.RequireCode(t, f.evaluate("provider1", "ListClaimsByStatus", "pended", "10", ""), codes.Forbidden)
	})
	t.Run("an unknown status is an invalid argument", func(t *testing.T) {
		cctest.RequireCode(t, f.evaluate("auditor1", "ListClaimsByStatus", "lost", "10", ""), codes.InvalidArgument)
	})
	t.Run("a page size above the maximum is an invalid argument", func(t *testing.T) {
		cctest.RequireCode(t, f.evaluate("auditor1", "ListClaimsByStatus", "pended", "501", ""), codes.InvalidArgument)
	})
	t.Run("a bookmark from another query is an invalid argument", func(t *testing.T) {
		p := list("provider2", "ListClaimsByProvider", hospitalMSP, npi2, "1", "")
		require.NotEmpty(t, ids(p))
		foreign := f.l.Key(objByProvider, hospitalMSP, npi1, "clm-1")
		cctest.RequireCode(t, f.evaluate("provider2", "ListClaimsByProvider", hospitalMSP, npi2, "1", foreign), codes.InvalidArgument)
	})
}

func TestTheContractHardCodesNoMSPID(t *testing.T) {
	// The second layout maps the hospital and the insurer onto one organisation.
	f := newFixtureLayout(t, "Org1MSP", "Org1MSP")
	f.setup()
	h := f.submit("clm-1")
	assert.Equal(t, "Org1MSP", h.ProviderMSP)
	assert.Equal(t, "Org1MSP", h.InsurerMSP)
	cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-1"))
	cctest.RequireOK(t, f.pay("clm-1"))
	cctest.RequireOK(t, f.invoke("insurer1", "Close", "clm-1"))
	assert.Equal(t, claimstypes.StatusClosed, f.header("clm-1").Status)
}

func TestWithTheRealConsentChaincode(t *testing.T) {
	f := newFixture(t)
	real, err := consent.NewChaincodeLogging(io.Discard)
	require.NoError(t, err)
	f.l.Register(ConsentChaincode, real)
	for _, p := range []string{"patient1", "patient2"} {
		cctest.RequireOK(t, f.l.Invoke(ConsentChaincode, f.who(p), "RegisterPatient", nil))
	}
	cctest.RequireOK(t, f.registerCoverageAs("insurer1", covID, f.terms(nil)))
	before := f.l.Snapshot()

	t.Run("a claim without the patient's consent is forbidden", func(t *testing.T) {
		ce := f.requireFails(t, f.submitAs("provider1", submission("clm-1"), f.details(nil)), codes.Forbidden, before)
		assert.Contains(t, ce.Message, "no consent for disclose of Claim to InsurerMSP for HPAYMT")
	})
	t.Run("a claim is accepted once the patient grants disclosure for payment", func(t *testing.T) {
		grant := fmt.Sprintf(`{"id":"c-pay","patient":%q,"grantee":%q,"decision":"permit","actions":["disclose"],"purposes":["HPAYMT"],"dataClasses":["Claim"]}`, pat1, insurerMSP)
		cctest.RequireOK(t, f.l.Invoke(ConsentChaincode, f.who("patient1"), "Grant", []string{grant}))
		cctest.RequireOK(t, f.submitAs("provider1", submission("clm-1"), f.details(nil)))
	})
	t.Run("a consent for another purpose does not count", func(t *testing.T) {
		f.permit(pat2) // only the fake knew this
		cctest.RequireOK(t, f.registerCoverageAs("insurer1", "cov-2", f.terms(func(c *claimstypes.CoverageTerms) { c.Member = pat2 })))
		grant := fmt.Sprintf(`{"id":"c-treat","patient":%q,"grantee":%q,"decision":"permit","actions":["disclose"],"purposes":["TREAT"],"dataClasses":["Claim"]}`, pat2, insurerMSP)
		cctest.RequireOK(t, f.l.Invoke(ConsentChaincode, f.who("patient2"), "Grant", []string{grant}))
		sub := claimstypes.ClaimSubmission{ID: "clm-2", Patient: pat2, CoverageID: "cov-2"}
		before := f.l.Snapshot()
		f.requireFails(t, f.submitAs("provider1", sub, f.details(nil)), codes.Forbidden, before)
	})
}

// TestPatientReadsUseConsentsBinding: a patient reads their claim and coverage only with the key they
// registered in the consent chaincode; a second certificate of the same CA for the same patient id,
// with another key, and a certificate of a patient who never registered are FORBIDDEN.
func TestPatientReadsUseConsentsBinding(t *testing.T) {
	f := newFixture(t)
	real, err := consent.NewChaincodeLogging(io.Discard)
	require.NoError(t, err)
	f.l.Register(ConsentChaincode, real)
	cctest.RequireOK(t, f.l.Invoke(ConsentChaincode, f.who("patient1"), "RegisterPatient", nil))
	grant := fmt.Sprintf(`{"id":"c-pay","patient":%q,"grantee":%q,"decision":"permit","actions":["disclose"],"purposes":["HPAYMT"],"dataClasses":["Claim"]}`, pat1, insurerMSP)
	cctest.RequireOK(t, f.l.Invoke(ConsentChaincode, f.who("patient1"), "Grant", []string{grant}))
	f.setup()
	f.submit("clm-1")
	cctest.RequireOK(t, f.registerCoverageAs("insurer1", "cov-2", f.terms(func(c *claimstypes.CoverageTerms) { c.Member = pat2 })))
	forged := f.l.Identity(hospitalMSP, "patient1-forged", cctest.RoleAttrs("patient", pat1))
	read := func(id *cctest.Identity, fn, arg string) *cctest.Result {
		return f.l.Evaluate(cc, id, fn, []string{arg}, cctest.WithSealKey(cctest.SealKey()))
	}
	for _, fn := range []string{"GetCoverage", "GetCoverageTerms"} {
		t.Run(fn+" by a patient who never registered answers as for a missing coverage", func(t *testing.T) {
			ce := cctest.RequireCode(t, read(f.who("patient2"), fn, "cov-2"), codes.NotFound)
			assert.Equal(t, strings.ReplaceAll(read(f.who("patient2"), fn, "cov-404").Message, "cov-404", "cov-2"), ce.Error())
		})
	}
	for _, q := range [][2]string{{"GetClaim", "clm-1"}, {"ClaimHistory", "clm-1"}, {"GetCoverage", covID}, {"GetCoverageTerms", covID}} {
		t.Run(q[0]+" by the registered key is allowed", func(t *testing.T) {
			cctest.RequireOK(t, read(f.who("patient1"), q[0], q[1]))
		})
		t.Run(q[0]+" by another key for the same patient id answers as for a missing object", func(t *testing.T) {
			ce := cctest.RequireCode(t, read(forged, q[0], q[1]), codes.NotFound)
			assert.Contains(t, ce.Message, "that this caller may see")
			assert.NotContains(t, ce.Message, pat1)
		})
	}
}

func TestAPeerWithoutThePrivateData(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.submit("clm-1")

	t.Run("answers UNAVAILABLE when a claim's details are missing", func(t *testing.T) {
		f.l.SetPrivateData(cc, claimstypes.Collection, f.l.Key(objClaimRecord, "clm-1"), nil)
		cctest.RequireCode(t, f.evaluate("insurer1", "GetClaimDetails", "clm-1"), codes.Unavailable)
		before := f.l.Snapshot()
		f.requireFails(t, f.invoke("insurer1", "Adjudicate", "clm-1"), codes.Unavailable, before)
	})
	t.Run("answers UNAVAILABLE when the collection is not defined on the peer", func(t *testing.T) {
		l := cctest.New(t)
		chaincode, err := NewChaincode()
		require.NoError(t, err)
		l.Register(cc, chaincode)
		l.DefineCollections(cc, "someOtherCollection")
		res := l.Invoke(cc, l.Identity(insurerMSP, "insurer1", cctest.RoleAttrs("insurer", payer1)), "RegisterCoverage", []string{covID},
			cctest.WithTransientJSON(claimstypes.TransientCoverage, f.terms(nil)))
		ce := cctest.RequireCode(t, res, codes.Unavailable)
		assert.Contains(t, ce.Message, claimstypes.Collection)
	})
}
