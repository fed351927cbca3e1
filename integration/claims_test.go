//go:build integration

package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/claims"
	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/healthledger/healthledger/gateway-client/provenance"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/stretchr/testify/require"
)

// claimsParty is one identity of the network under test with the typed clients the claims tests use.
type claimsParty struct {
	info    sdk.IdentityInfo
	gw      *sdk.Client
	claims  *claims.Client
	consent *consent.Client
	prov    *provenance.Client
}

// claimsConnect connects the i-th identity holding role.
func claimsConnect(t *testing.T, role string, i int) *claimsParty {
	t.Helper()
	return claimsConnectAs(t, identity(t, role, i))
}

func claimsConnectAs(t *testing.T, who sdk.IdentityInfo) *claimsParty {
	t.Helper()
	c := connect(t, who.Name)
	return &claimsParty{
		info:    c.Identity(),
		gw:      c,
		claims:  claims.New(c),
		consent: consent.New(c),
		prov:    provenance.New(c),
	}
}

// claimsCast is who a claim story needs besides the patient: the provider that bills, the insurer
// that pays and an auditor.
type claimsCast struct {
	provider, insurer, auditor *claimsParty
}

func claimsConnectCast(t *testing.T) claimsCast {
	t.Helper()
	return claimsCast{
		provider: claimsConnect(t, "provider", 0),
		insurer:  claimsConnect(t, "insurer", 0),
		auditor:  claimsConnect(t, "auditor", 0),
	}
}

// claimsDecision asks, through asker's peer, what the consent chaincode decides today for the claims
// chaincode's question: may patient's claims be disclosed to the insurer organisation for payment?
func claimsDecision(t *testing.T, asker *claimsParty, patient, insurerMSP string) (*consenttypes.Decision, error) {
	t.Helper()
	return asker.consent.CheckAccess(ctx(t), patient, consenttypes.Grantee{MSPID: insurerMSP}, consenttypes.ActionDisclose,
		consenttypes.PurposePayment, consenttypes.ClassClaim)
}

// claimsPickPatient returns the first patient (by the order of network.json) whose current decision
// satisfies accept. The network is shared and keeps the consents of earlier runs, so a test that needs
// a patient in a given consent situation looks for one instead of assuming it.
func claimsPickPatient(t *testing.T, asker *claimsParty, insurerMSP string, accept func(*consenttypes.Decision) bool) (sdk.IdentityInfo, bool) {
	t.Helper()
	for _, p := range env.net.Identities("patient") {
		d, err := claimsDecision(t, asker, p.Subject, insurerMSP)
		require.NoError(t, err)
		if accept(d) {
			return p, true
		}
	}
	return sdk.IdentityInfo{}, false
}

// claimsNotVetoed accepts a patient no deny consent blocks (a deny would override our permit).
func claimsNotVetoed(d *consenttypes.Decision) bool {
	return d.Permitted() || len(d.ConsentIDs) == 0
}

// claimsGrantPayment has the patient grant the insurer's whole organisation disclose of class Claim
// for HPAYMT, revoked again when the test ends (a patient may hold at most 100 active consents per
// organisation, and the network outlives the test). It returns once every peer in peers decides
// permit: the claims chaincode asks the consent chaincode on each endorsing peer.
func claimsGrantPayment(t *testing.T, patient *claimsParty, insurerMSP string, peers ...*claimsParty) string {
	t.Helper()
	consentRegistered(t, patient.consent)
	id := unique("claims-consent")
	granted, err := patient.consent.Grant(ctx(t), consenttypes.Consent{
		ID:       id,
		Patient:  patient.info.Subject,
		Grantee:  consenttypes.Grantee{MSPID: insurerMSP}.String(),
		Decision: consenttypes.Permit,
		Actions:  []consenttypes.Action{consenttypes.ActionDisclose},
		Purposes: []consenttypes.Purpose{consenttypes.PurposePayment},
		Classes:  []consenttypes.DataClass{consenttypes.ClassClaim},
	})
	require.NoError(t, err)
	require.Equal(t, consenttypes.Grantee{MSPID: insurerMSP}.String(), granted.Grantee)
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := patient.consent.Revoke(c, id, "integration test finished"); err != nil {
			t.Errorf("revoking consent %s: %v", id, err)
		}
	})
	for _, p := range peers {
		eventually(t, "the consent reaching the peer of "+p.info.Name, func() error {
			d, err := claimsDecision(t, p, patient.info.Subject, insurerMSP)
			if err != nil {
				return err
			}
			if !d.Permitted() {
				return fmt.Errorf("decision %s: %s", d.Decision, d.Reason)
			}
			return nil
		})
	}
	return id
}

// claimsPayingPatient picks a patient whom no deny consent blocks (or skips), and has them grant the
// cast's insurer disclose of their claims for payment until the test ends.
func claimsPayingPatient(t *testing.T, cast claimsCast) (sdk.IdentityInfo, *claimsParty) {
	t.Helper()
	insurerMSP := cast.insurer.info.MSPID
	who, ok := claimsPickPatient(t, cast.provider, insurerMSP, claimsNotVetoed)
	if !ok {
		t.Skip("every patient holds a deny consent for disclose of Claim to the insurer: no claim can pass")
	}
	patient := claimsConnectAs(t, who)
	claimsGrantPayment(t, patient, insurerMSP, cast.provider, cast.insurer)
	return who, patient
}

// claimsRegisterCoverage has the insurer register a coverage under a fresh id and waits until the
// peer of every reader has it.
func claimsRegisterCoverage(t *testing.T, insurer *claimsParty, terms claimstypes.CoverageTerms, readers ...*claimsParty) *claimstypes.CoverageHeader {
	t.Helper()
	id := unique("claims-cov")
	h, err := insurer.claims.RegisterCoverage(ctx(t), id, terms)
	require.NoError(t, err)
	require.Equal(t, id, h.ID)
	require.Equal(t, insurer.info.MSPID, h.InsurerMSP)
	require.Equal(t, insurer.info.Subject, h.Insurer)
	require.Equal(t, terms.Member, h.Member)
	for _, r := range readers {
		eventually(t, "coverage "+id+" reaching the peer of "+r.info.Name, func() error {
			_, err := r.claims.GetCoverage(ctx(t), id)
			return err
		})
	}
	return h
}

// claimsAwaitStatus waits until every reader's peer shows the claim in status want. Life-cycle calls
// are endorsed by the provider's and the insurer's peers, so the next step waits for both.
func claimsAwaitStatus(t *testing.T, claimID string, want claimstypes.Status, readers ...*claimsParty) {
	t.Helper()
	for _, r := range readers {
		eventually(t, fmt.Sprintf("claim %s %s on the peer of %s", claimID, want, r.info.Name), func() error {
			h, err := r.claims.GetClaim(ctx(t), claimID)
			if err != nil {
				return err
			}
			if h.Status != want {
				return fmt.Errorf("status %s", h.Status)
			}
			return nil
		})
	}
}

// claimsVariant makes the billed services of one claim unique: the network keeps every earlier run's
// claims, and a live claim with the same provider, patient, codes, dates and charges is a duplicate.
// It draws a date of service in 2001-2022 and a few cents to add to each unit charge; the fee
// schedules below cap the allowed amounts, so the adjudicated amounts do not depend on it.
type claimsVariant struct {
	date  string
	cents int64
}

func claimsNewVariant() claimsVariant {
	day := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, mrand.IntN(8000))
	return claimsVariant{date: day.Format(claimstypes.DateLayout), cents: mrand.Int64N(1000)}
}

// claimsNonce returns a details or terms nonce that starts with prefix.
func claimsNonce(t *testing.T, prefix string) string {
	t.Helper()
	var b [20]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return prefix + hex.EncodeToString(b[:])
}

// claimsTotal is the sum of the lines' charges.
func claimsTotal(lines []claimstypes.ServiceLine) int64 {
	var total int64
	for _, l := range lines {
		total += l.ChargeCents()
	}
	return total
}

// claimsDetails builds claim details with the right total.
func claimsDetails(t *testing.T, diagnoses []string, lines ...claimstypes.ServiceLine) claimstypes.ClaimDetails {
	t.Helper()
	return claimstypes.ClaimDetails{Diagnoses: diagnoses, Lines: lines, TotalCents: claimsTotal(lines), Nonce: claimsNonce(t, "claims-it-")}
}

// claimsAdj is a short way to write an expected adjustment.
func claimsAdj(group, reason string, kind claimstypes.AdjustmentKind, cents int64) claimstypes.Adjustment {
	return claimstypes.Adjustment{Group: group, Reason: reason, Kind: kind, AmountCents: cents}
}

// claimsHistoryStatuses lists the statuses a claim went through, oldest first.
func claimsHistoryStatuses(t *testing.T, p *claimsParty, claimID string) []claimstypes.Status {
	t.Helper()
	hist, err := p.claims.ClaimHistory(ctx(t), claimID)
	require.NoError(t, err)
	out := []claimstypes.Status{}
	for _, v := range hist {
		require.NotNil(t, v.Value, "history entry %s of claim %s has no value", v.TxID, claimID)
		out = append(out, v.Value.Status)
	}
	return out
}

// claimsAccumulator returns the coverage's accumulator for year, read by its payer.
func claimsAccumulator(t *testing.T, insurer *claimsParty, coverageID string, year int) claimstypes.Accumulator {
	t.Helper()
	rec, err := insurer.claims.GetCoverageTerms(ctx(t), coverageID)
	require.NoError(t, err)
	for _, a := range rec.Accumulators {
		if a.Year == year {
			return a
		}
	}
	t.Fatalf("coverage %s has no accumulator for %d: %+v", coverageID, year, rec.Accumulators)
	return claimstypes.Accumulator{}
}

// TestClaimsConsentCoverageSubmitAdjudicatePayClose is the whole story of a professional claim: the
// patient's consent, the insurer's coverage, the provider's claim, the contract's adjudication
// (checked line by line against the rules of docs/claims.md), the payment and the close; the provider,
// the insurer and an auditor read the details, the patient the header only.
func TestClaimsConsentCoverageSubmitAdjudicatePayClose(t *testing.T) {
	cast := claimsConnectCast(t)
	insurerMSP := cast.insurer.info.MSPID
	who, patient := claimsPayingPatient(t, cast)

	// Deductible $100.00, coinsurance 20 %, annual limit $70.00; the fee schedule caps every code.
	v := claimsNewVariant()
	year, err := strconv.Atoi(v.date[:4])
	require.NoError(t, err)
	cov := claimsRegisterCoverage(t, cast.insurer, claimstypes.CoverageTerms{
		Member: who.Subject, PlanID: "PLAN-IT-PPO", PeriodStart: "2000-01-01", PeriodEnd: "2099-12-31",
		CoveredCodes:    []string{"99214", "80053", "36415"},
		DeductibleCents: 10000, CoinsuranceBP: 2000, AnnualLimitCents: 7000,
		FeeSchedule: []claimstypes.FeeScheduleEntry{
			{Code: "99214", AllowedUnitCents: 13000},
			{Code: "80053", AllowedUnitCents: 4552},
			{Code: "36415", AllowedUnitCents: 1249},
		},
	}, cast.provider)

	lines := []claimstypes.ServiceLine{
		{Code: "99214", ServiceDate: v.date, Quantity: 1, UnitChargeCents: 18000 + v.cents, DiagnosisPointers: []int{1}},
		{Code: "80053", ServiceDate: v.date, Quantity: 1, UnitChargeCents: 5000 + v.cents, DiagnosisPointers: []int{1, 2}},
		{Code: "36415", ServiceDate: v.date, Quantity: 2, UnitChargeCents: 1300 + v.cents},
	}
	details := claimsDetails(t, []string{"e119", "I10"}, lines...)
	claimID := unique("claims-clm")
	h, err := cast.provider.claims.SubmitClaim(ctx(t), claimstypes.ClaimSubmission{ID: claimID, Patient: who.Subject, CoverageID: cov.ID}, details)
	require.NoError(t, err)
	require.Equal(t, claimstypes.ClaimHeader{
		ID: claimID, ClaimType: claimstypes.ClaimProfessional,
		ProviderMSP: cast.provider.info.MSPID, Provider: cast.provider.info.Subject,
		Patient: who.Subject, InsurerMSP: insurerMSP, Insurer: cast.insurer.info.Subject,
		CoverageID: cov.ID, Status: claimstypes.StatusSubmitted, FrequencyCode: claimstypes.FrequencyOriginal,
		DetailsHash: claimstypes.HashDetails(details), SubmittedAt: h.SubmittedAt, UpdatedAt: h.UpdatedAt,
	}, *h, "the answer is the public header, with no amount and no clinical content")
	claimsAwaitStatus(t, claimID, claimstypes.StatusSubmitted, cast.insurer)

	adj, err := cast.insurer.claims.Adjudicate(ctx(t), claimID)
	require.NoError(t, err)
	require.Equal(t, claimstypes.StatusAdjudicated, adj.Status)
	require.Equal(t, claimstypes.OutcomePartial, adj.Outcome, "the annual limit cuts line 3 in part")

	rec, err := cast.insurer.claims.GetClaimDetails(ctx(t), claimID)
	require.NoError(t, err)
	require.NotNil(t, rec.Adjudication)
	a := rec.Adjudication
	// Line 1: 99214 at $180.00+: the fee schedule allows $130.00 (CO-45 for the rest); the whole
	// $100.00 deductible (PR-1); 20 % of the $30.00 left is $6.00 (PR-2); the plan pays $24.00.
	// Line 2: 80053 allowed $45.52; deductible met; 20 % = 910.4 cents, rounds down to $9.10; plan
	// $36.42 (paid so far $60.66 of the $70.00 limit).
	// Line 3: 2 x 36415 allowed 2 x $12.49 = $24.98; 20 % = 499.6 cents, rounds up to $5.00; plan
	// $19.98, but only $9.58 of the annual limit is left: paid $9.58, PR-119 $10.40 (reduced).
	want := []claimstypes.LineResult{
		{Sequence: 1, Code: "99214", ServiceDate: v.date, ChargeCents: 18000 + v.cents, AllowedCents: 13000, PaidCents: 2400, PatientRespCents: 10600,
			Adjustments: []claimstypes.Adjustment{
				claimsAdj("CO", "45", claimstypes.AdjFeeSchedule, 5000+v.cents),
				claimsAdj("PR", "1", claimstypes.AdjDeductible, 10000),
				claimsAdj("PR", "2", claimstypes.AdjCoinsurance, 600),
			}},
		{Sequence: 2, Code: "80053", ServiceDate: v.date, ChargeCents: 5000 + v.cents, AllowedCents: 4552, PaidCents: 3642, PatientRespCents: 910,
			Adjustments: []claimstypes.Adjustment{
				claimsAdj("CO", "45", claimstypes.AdjFeeSchedule, 448+v.cents),
				claimsAdj("PR", "2", claimstypes.AdjCoinsurance, 910),
			}},
		{Sequence: 3, Code: "36415", ServiceDate: v.date, ChargeCents: 2 * (1300 + v.cents), AllowedCents: 2498, PaidCents: 958, PatientRespCents: 1540,
			Adjustments: []claimstypes.Adjustment{
				claimsAdj("CO", "45", claimstypes.AdjFeeSchedule, 2*(1300+v.cents)-2498),
				claimsAdj("PR", "2", claimstypes.AdjCoinsurance, 500),
				claimsAdj("PR", "119", claimstypes.AdjBenefitMaximum, 1040),
			}},
	}
	require.Equal(t, want, a.Lines)
	require.Equal(t, 1, a.Round)
	require.Equal(t, claimstypes.OutcomePartial, a.Outcome)
	require.Equal(t, cov.ID, a.CoverageID)
	require.Equal(t, cov.TermsHash, a.TermsHash)
	require.Equal(t, details.TotalCents, a.TotalChargeCents)
	require.Equal(t, int64(20050), a.TotalAllowedCents)
	require.Equal(t, int64(7000), a.TotalPaidCents)
	require.Equal(t, int64(13050), a.TotalPatientRespCents)
	require.Equal(t, claimstypes.Accumulator{Year: year, DeductibleMetCents: 10000, PaidCents: 7000},
		claimsAccumulator(t, cast.insurer, cov.ID, year))

	claimsAwaitStatus(t, claimID, claimstypes.StatusAdjudicated, cast.provider)
	_, err = cast.insurer.claims.Pay(ctx(t), claimID, 6999, "EFT-IT-WRONG")
	require.ErrorIs(t, err, sdk.ErrInvalidArgument, "a payment must equal the adjudicated paid amount")
	paymentRef := "EFT-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	paid, err := cast.insurer.claims.Pay(ctx(t), claimID, 7000, paymentRef)
	require.NoError(t, err)
	require.Equal(t, claimstypes.StatusPaid, paid.Status)

	claimsAwaitStatus(t, claimID, claimstypes.StatusPaid, cast.provider)
	closed, err := cast.insurer.claims.Close(ctx(t), claimID)
	require.NoError(t, err)
	require.Equal(t, claimstypes.StatusClosed, closed.Status)
	claimsAwaitStatus(t, claimID, claimstypes.StatusClosed, cast.provider, cast.auditor)

	require.Equal(t, []claimstypes.Status{claimstypes.StatusSubmitted, claimstypes.StatusAdjudicated, claimstypes.StatusPaid, claimstypes.StatusClosed},
		claimsHistoryStatuses(t, cast.provider, claimID))

	readers := []*claimsParty{cast.provider, cast.insurer}
	if m := cast.auditor.info.MSPID; m == cast.provider.info.MSPID || m == insurerMSP {
		readers = append(readers, cast.auditor)
	} else {
		t.Logf("auditor %s is of neither party's organisation: it may not read the details", cast.auditor.info.Name)
	}
	for _, r := range readers {
		rec, err := r.claims.VerifyClaimDetails(ctx(t), claimID)
		require.NoError(t, err, "%s reads the details, and they hash to the public detailsHash", r.info.Name)
		require.Equal(t, []string{"E11.9", "I10"}, rec.Details.Diagnoses, "diagnoses are stored normalized")
		require.Equal(t, details.Nonce, rec.Details.Nonce)
		require.NotNil(t, rec.Payment, r.info.Name)
		require.Equal(t, int64(7000), rec.Payment.AmountCents)
		require.Equal(t, paymentRef, rec.Payment.PaymentRef)
		require.NotNil(t, rec.Adjudication, r.info.Name)
		require.Equal(t, want, rec.Adjudication.Lines)
	}

	header, err := patient.claims.GetClaim(ctx(t), claimID)
	require.NoError(t, err, "the patient reads the claim's header")
	require.Equal(t, claimstypes.StatusClosed, header.Status)
	_, err = patient.claims.GetClaimDetails(ctx(t), claimID)
	require.ErrorIs(t, err, sdk.ErrNotFound, "the patient does not read the claim's private details: the answer of a missing claim")
}

// TestClaimsSubmissionWithoutConsentIsRefusedAndChangesNothing submits a claim for a patient who gave
// the insurer no consent: FORBIDDEN naming the missing consent, and no trace: once the consent is
// granted, the very same claim (same id, same services) goes through.
func TestClaimsSubmissionWithoutConsentIsRefusedAndChangesNothing(t *testing.T) {
	cast := claimsConnectCast(t)
	insurerMSP := cast.insurer.info.MSPID
	who, ok := claimsPickPatient(t, cast.provider, insurerMSP, func(d *consenttypes.Decision) bool {
		return !d.Permitted() && len(d.ConsentIDs) == 0
	})
	if !ok {
		t.Skip("every patient already has a consent deciding disclose of Claim to the insurer (left by another test or the demo)")
	}
	patient := claimsConnectAs(t, who)
	v := claimsNewVariant()
	cov := claimsRegisterCoverage(t, cast.insurer, claimstypes.CoverageTerms{
		Member: who.Subject, PlanID: "PLAN-IT-HMO", PeriodStart: "2000-01-01", PeriodEnd: "2099-12-31",
		CoveredCodes: []string{"99213"}, CoinsuranceBP: 2000,
	}, cast.provider)
	// The insurer's peer decides the same: the claims chaincode asks consent on both endorsers.
	d, err := claimsDecision(t, cast.insurer, who.Subject, insurerMSP)
	require.NoError(t, err)
	require.False(t, d.Permitted(), "the insurer's peer must see no consent either")

	sub := claimstypes.ClaimSubmission{ID: unique("claims-noconsent"), Patient: who.Subject, CoverageID: cov.ID}
	details := claimsDetails(t, []string{"J06.9"},
		claimstypes.ServiceLine{Code: "99213", ServiceDate: v.date, Quantity: 1, UnitChargeCents: 12000 + v.cents})
	_, err = cast.provider.claims.SubmitClaim(ctx(t), sub, details)
	require.ErrorIs(t, err, sdk.ErrForbidden)
	require.ErrorContains(t, err, "no consent for disclose of Claim to "+insurerMSP+" for HPAYMT")

	for _, r := range []*claimsParty{cast.provider, cast.insurer} {
		_, err := r.claims.GetClaim(ctx(t), sub.ID)
		require.ErrorIs(t, err, sdk.ErrNotFound, "the refused claim must not exist on the peer of %s", r.info.Name)
	}

	claimsGrantPayment(t, patient, insurerMSP, cast.provider, cast.insurer)
	h, err := cast.provider.claims.SubmitClaim(ctx(t), sub, details)
	require.NoError(t, err, "the refusal left nothing behind: neither the id nor the services are taken")
	require.Equal(t, claimstypes.StatusSubmitted, h.Status)
	require.Equal(t, claimstypes.HashDetails(details), h.DetailsHash)
}

// TestClaimsDuplicateIsRefusedNamingTheFirstClaim bills the same services twice: the second claim,
// with its lines reordered, other diagnoses and a new nonce, is DUPLICATE and names the first.
func TestClaimsDuplicateIsRefusedNamingTheFirstClaim(t *testing.T) {
	cast := claimsConnectCast(t)
	who, _ := claimsPayingPatient(t, cast)
	cov := claimsRegisterCoverage(t, cast.insurer, claimstypes.CoverageTerms{
		Member: who.Subject, PlanID: "PLAN-IT-PPO", PeriodStart: "2000-01-01", PeriodEnd: "2099-12-31",
		CoveredCodes: []string{"99213", "81002"}, CoinsuranceBP: 2000,
	}, cast.provider)

	v := claimsNewVariant()
	office := claimstypes.ServiceLine{Code: "99213", ServiceDate: v.date, Quantity: 1, UnitChargeCents: 11000 + v.cents}
	urine := claimstypes.ServiceLine{Code: "81002", ServiceDate: v.date, Quantity: 1, UnitChargeCents: 900 + v.cents}
	first := claimstypes.ClaimSubmission{ID: unique("claims-first"), Patient: who.Subject, CoverageID: cov.ID}
	firstDetails := claimsDetails(t, []string{"N39.0"}, office, urine)
	_, err := cast.provider.claims.SubmitClaim(ctx(t), first, firstDetails)
	require.NoError(t, err)

	t.Run("the same claim sent again is a duplicate of itself", func(t *testing.T) {
		_, err := cast.provider.claims.SubmitClaim(ctx(t), first, firstDetails)
		require.ErrorIs(t, err, sdk.ErrDuplicate)
		require.ErrorContains(t, err, "claim "+first.ID+" was already submitted")
	})

	t.Run("the same services under a new id are refused naming the first claim", func(t *testing.T) {
		second := claimstypes.ClaimSubmission{ID: unique("claims-second"), Patient: who.Subject, CoverageID: cov.ID}
		_, err := cast.provider.claims.SubmitClaim(ctx(t), second, claimsDetails(t, []string{"R30.0", "N39.0"}, urine, office))
		require.ErrorIs(t, err, sdk.ErrDuplicate)
		require.ErrorContains(t, err, "claim "+second.ID+" duplicates claim "+first.ID)
		_, err = cast.provider.claims.GetClaim(ctx(t), second.ID)
		require.ErrorIs(t, err, sdk.ErrNotFound, "the refused claim must not exist")
	})

	t.Run("another charge for the same services is a different claim", func(t *testing.T) {
		other := office
		other.UnitChargeCents++
		h, err := cast.provider.claims.SubmitClaim(ctx(t),
			claimstypes.ClaimSubmission{ID: unique("claims-third"), Patient: who.Subject, CoverageID: cov.ID},
			claimsDetails(t, []string{"N39.0"}, other, urine))
		require.NoError(t, err)
		require.Equal(t, claimstypes.StatusSubmitted, h.Status)
	})
}

// claimsGTIN returns a fresh GTIN-14 with a valid GS1 check digit, under GS1 company prefix 0614141:
// the prefix the consortium map gives the manufacturer org, as RegisterProduct requires.
func claimsGTIN() string {
	body := fmt.Sprintf("00614141%05d", mrand.Int64N(100_000))
	sum := 0
	for i := 0; i < len(body); i++ {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return body + strconv.Itoa((10-sum%10)%10)
}

// TestClaimsPharmacyClaimNeedsADispensedUnit has a pharmacist claim a drug unit that exists in
// provenance but was never dispensed, and one provenance never heard of: both PRECONDITION_FAILED.
// Once the unit is shipped to the pharmacy, received and dispensed, the same claim passes, and a
// second claim for that unit is a duplicate naming the first.
func TestClaimsPharmacyClaimNeedsADispensedUnit(t *testing.T) {
	cast := claimsConnectCast(t)
	insurerMSP := cast.insurer.info.MSPID
	pharmacist := claimsConnect(t, "pharmacist", 0)
	maker := claimsConnect(t, "manufacturer", 0)
	who, ok := claimsPickPatient(t, pharmacist, insurerMSP, claimsNotVetoed)
	if !ok {
		t.Skip("every patient holds a deny consent for disclose of Claim to the insurer: no claim can pass")
	}
	claimsGrantPayment(t, claimsConnectAs(t, who), insurerMSP, pharmacist, cast.insurer)

	gtin := claimsGTIN()
	lot := "L" + strconv.FormatInt(time.Now().UnixNano()%1_000_000_000, 36)
	_, err := maker.prov.RegisterProduct(ctx(t), provenancetypes.ProductSpec{GTIN: gtin, Name: "Claimsamine", Strength: "10 mg",
		DosageForm: "tablet", Storage: &provenancetypes.TempRange{MinCelsius: 2, MaxCelsius: 25}})
	require.NoError(t, err)
	now := time.Now().UTC()
	_, err = maker.prov.CommissionBatch(ctx(t), provenancetypes.BatchSpec{GTIN: gtin, Lot: lot, Quantity: 2,
		ManufacturedOn: now.AddDate(0, -1, 0).Format(provenancetypes.DateLayout), Expiry: now.AddDate(2, 0, 0).Format(provenancetypes.DateLayout),
		Serials: []string{"S1", "S2"}})
	require.NoError(t, err)
	party, err := pharmacist.prov.EnsureRegistered(ctx(t))
	require.NoError(t, err)
	for _, r := range []*claimsParty{pharmacist, cast.insurer} {
		eventually(t, "the batch reaching the peer of "+r.info.Name, func() error {
			u, err := r.prov.GetUnit(ctx(t), gtin, "S1")
			if err != nil {
				return err
			}
			if u.Status != provenancetypes.UnitActive {
				return fmt.Errorf("unit status %s", u.Status)
			}
			return nil
		})
	}

	cov := claimsRegisterCoverage(t, cast.insurer, claimstypes.CoverageTerms{
		Member: who.Subject, PlanID: "PLAN-IT-RX", PeriodStart: "2000-01-01", PeriodEnd: "2099-12-31",
		CoveredCodes: []string{gtin}, CopayCents: 500,
	}, pharmacist)
	date := now.AddDate(0, 0, -1).Format(claimstypes.DateLayout)
	fill := func(serial string, cents int64) claimstypes.ClaimDetails {
		return claimsDetails(t, []string{"I10"}, claimstypes.ServiceLine{Code: gtin, ServiceDate: date, Quantity: 1,
			UnitChargeCents: cents, Unit: &claimstypes.UnitRef{GTIN: gtin, Serial: serial}})
	}
	sub := claimstypes.ClaimSubmission{ID: unique("claims-rx"), Patient: who.Subject, CoverageID: cov.ID}

	t.Run("a unit that exists but was never dispensed is refused", func(t *testing.T) {
		_, err := pharmacist.claims.SubmitClaim(ctx(t), sub, fill("S1", 2500))
		require.ErrorIs(t, err, sdk.ErrPreconditionFailed)
		require.ErrorContains(t, err, "line 1: its unit is active, not dispensed")
		require.NotContains(t, err.Error(), gtin+"/S1", "the error does not repeat the transient unit")
	})
	t.Run("a unit provenance does not know is refused", func(t *testing.T) {
		_, err := pharmacist.claims.SubmitClaim(ctx(t), sub, fill("S404", 2500))
		require.ErrorIs(t, err, sdk.ErrPreconditionFailed)
		require.ErrorContains(t, err, "is unknown to provenance")
	})
	_, err = pharmacist.claims.GetClaim(ctx(t), sub.ID)
	require.ErrorIs(t, err, sdk.ErrNotFound, "the refused claims left nothing")

	// The positive control: the same claim passes once the pharmacy dispensed the unit.
	shipment := unique("claims-ship")
	_, err = maker.prov.Ship(ctx(t), provenancetypes.ShipmentSpec{ShipmentID: shipment, GTIN: gtin, Lot: lot, Serials: []string{"S1"},
		Receiver: provenancetypes.Party{MSPID: party.MSPID, GLN: party.GLN}})
	require.NoError(t, err)
	eventually(t, "the shipment reaching the pharmacy's peer", func() error {
		_, err := pharmacist.prov.GetShipment(ctx(t), shipment)
		return err
	})
	_, err = pharmacist.prov.Receive(ctx(t), shipment)
	require.NoError(t, err)
	_, err = pharmacist.prov.Dispense(ctx(t), gtin, "S1", provenancetypes.EventContext{})
	require.NoError(t, err)
	eventually(t, "the dispense reaching the insurer's peer", func() error {
		u, err := cast.insurer.prov.GetUnit(ctx(t), gtin, "S1")
		if err != nil {
			return err
		}
		if u.Status != provenancetypes.UnitDispensed {
			return fmt.Errorf("unit status %s", u.Status)
		}
		return nil
	})

	t.Run("the same claim passes once the unit is dispensed by the pharmacy", func(t *testing.T) {
		h, err := pharmacist.claims.SubmitClaim(ctx(t), sub, fill("S1", 2500))
		require.NoError(t, err)
		require.Equal(t, claimstypes.ClaimPharmacy, h.ClaimType)
		require.Equal(t, pharmacist.info.Subject, h.Provider, "a pharmacy claim's provider is the pharmacy's GLN")
		require.Equal(t, claimstypes.StatusSubmitted, h.Status)
	})
	t.Run("a second claim for the dispensed unit names the first", func(t *testing.T) {
		_, err := pharmacist.claims.SubmitClaim(ctx(t),
			claimstypes.ClaimSubmission{ID: unique("claims-rx2"), Patient: who.Subject, CoverageID: cov.ID}, fill("S1", 2600))
		require.ErrorIs(t, err, sdk.ErrDuplicate)
		require.ErrorContains(t, err, "the unit of line 1 is already claimed by claim "+sub.ID)
		require.NotContains(t, err.Error(), gtin+"/S1", "the error does not repeat the transient unit")
	})
}

// TestClaimsDeniedClaimIsAppealedOnceAndAdjudicatedAgain: a service the plan does not list is denied
// (CO-96); the provider appeals, the insurer corrects the terms, the second round pays by the new
// terms, and the claim cannot be appealed again.
func TestClaimsDeniedClaimIsAppealedOnceAndAdjudicatedAgain(t *testing.T) {
	cast := claimsConnectCast(t)
	who, _ := claimsPayingPatient(t, cast)
	terms := claimstypes.CoverageTerms{
		Member: who.Subject, PlanID: "PLAN-IT-COPAY", PeriodStart: "2000-01-01", PeriodEnd: "2099-12-31",
		CoveredCodes: []string{"99213"}, CopayCents: 2500,
	}
	cov := claimsRegisterCoverage(t, cast.insurer, terms, cast.provider)

	v := claimsNewVariant()
	therapy := claimstypes.ServiceLine{Code: "97110", ServiceDate: v.date, Quantity: 2, UnitChargeCents: 6000 + v.cents}
	claimID := unique("claims-appeal")
	_, err := cast.provider.claims.SubmitClaim(ctx(t), claimstypes.ClaimSubmission{ID: claimID, Patient: who.Subject, CoverageID: cov.ID},
		claimsDetails(t, []string{"M54.50"}, therapy))
	require.NoError(t, err)
	claimsAwaitStatus(t, claimID, claimstypes.StatusSubmitted, cast.insurer)

	h, err := cast.insurer.claims.Adjudicate(ctx(t), claimID)
	require.NoError(t, err)
	require.Equal(t, claimstypes.OutcomeDenied, h.Outcome, "97110 is not a covered code")
	rec, err := cast.insurer.claims.GetClaimDetails(ctx(t), claimID)
	require.NoError(t, err)
	require.Equal(t, []claimstypes.LineResult{{Sequence: 1, Code: "97110", ServiceDate: v.date, ChargeCents: therapy.ChargeCents(), Denied: true,
		Adjustments: []claimstypes.Adjustment{claimsAdj("CO", "96", claimstypes.AdjNotCovered, therapy.ChargeCents())}}}, rec.Adjudication.Lines)
	require.Zero(t, rec.Adjudication.TotalPaidCents)

	_, err = cast.insurer.claims.Pay(ctx(t), claimID, 0, "EFT-IT-NOTHING")
	require.ErrorIs(t, err, sdk.ErrPreconditionFailed, "a denied claim has nothing to pay")

	claimsAwaitStatus(t, claimID, claimstypes.StatusAdjudicated, cast.provider)
	h, err = cast.provider.claims.Appeal(ctx(t), claimID, "service is covered under the plan rider")
	require.NoError(t, err)
	require.Equal(t, claimstypes.StatusAppealed, h.Status)
	require.Equal(t, 1, h.AppealCount)

	// The insurer corrects the plan: 97110 is covered, at most $50.00 a unit.
	terms.CoveredCodes = []string{"99213", "97110"}
	terms.FeeSchedule = []claimstypes.FeeScheduleEntry{{Code: "97110", AllowedUnitCents: 5000}}
	updated, err := cast.insurer.claims.UpdateCoverage(ctx(t), cov.ID, terms)
	require.NoError(t, err)
	require.NotEqual(t, cov.TermsHash, updated.TermsHash)
	claimsAwaitStatus(t, claimID, claimstypes.StatusAppealed, cast.insurer)
	eventually(t, "the new terms reaching the provider's peer", func() error {
		c, err := cast.provider.claims.GetCoverage(ctx(t), cov.ID)
		if err != nil {
			return err
		}
		if c.TermsHash != updated.TermsHash {
			return fmt.Errorf("terms hash %s", c.TermsHash)
		}
		return nil
	})

	h, err = cast.insurer.claims.Adjudicate(ctx(t), claimID)
	require.NoError(t, err)
	require.Equal(t, claimstypes.OutcomeApproved, h.Outcome)
	rec, err = cast.insurer.claims.GetClaimDetails(ctx(t), claimID)
	require.NoError(t, err)
	a := rec.Adjudication
	require.Equal(t, 2, a.Round)
	require.Equal(t, updated.TermsHash, a.TermsHash, "round 2 records the terms it used")
	// 2 x $60.00+ allowed at 2 x $50.00 = $100.00 (CO-45 for the rest); no deductible; the $25.00
	// copay (PR-3); the plan pays $75.00.
	require.Equal(t, []claimstypes.LineResult{{Sequence: 1, Code: "97110", ServiceDate: v.date, ChargeCents: therapy.ChargeCents(),
		AllowedCents: 10000, PaidCents: 7500, PatientRespCents: 2500,
		Adjustments: []claimstypes.Adjustment{
			claimsAdj("CO", "45", claimstypes.AdjFeeSchedule, therapy.ChargeCents()-10000),
			claimsAdj("PR", "3", claimstypes.AdjCopay, 2500),
		}}}, a.Lines)
	require.Equal(t, int64(7500), a.TotalPaidCents)

	claimsAwaitStatus(t, claimID, claimstypes.StatusAdjudicated, cast.provider)
	_, err = cast.provider.claims.Appeal(ctx(t), claimID, "second try")
	require.ErrorIs(t, err, sdk.ErrPreconditionFailed, "only a denied claim can be appealed, and only once")
	require.Equal(t, []claimstypes.Status{claimstypes.StatusSubmitted, claimstypes.StatusAdjudicated, claimstypes.StatusAppealed, claimstypes.StatusAdjudicated},
		claimsHistoryStatuses(t, cast.provider, claimID))
}

// claimsPharmaOrg returns the organisation holding the manufacturer role, and whether it is outside
// the claims collection (it holds none of the provider, pharmacist and insurer roles).
func claimsPharmaOrg(t *testing.T) (sdk.OrgInfo, bool) {
	t.Helper()
	maker := identity(t, "manufacturer", 0)
	for _, o := range env.net.Orgs() {
		if o.Name != maker.Org {
			continue
		}
		member := slices.ContainsFunc(o.Roles, func(r string) bool {
			return r == "provider" || r == "pharmacist" || r == "insurer"
		})
		return o, !member
	}
	t.Fatalf("no org named %s in network.json", maker.Org)
	return sdk.OrgInfo{}, false
}

// claimsRareICD10 returns an ICD-10-CM code of valid shape whose 4-character extension is drawn for
// this run, so that finding it anywhere can only mean this claim leaked.
func claimsRareICD10() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	ext := make([]byte, 4)
	for i := range ext {
		ext[i] = alphabet[mrand.IntN(len(alphabet))]
	}
	return "S62." + string(ext)
}

// TestClaimsPrivateDetailsStayOffTheBlocksAndOutOfPharma submits a claim carrying markers in its
// private details (a diagnosis code and a nonce drawn for this run) and checks where they are not:
// in any block, in what the Pharma organisation can read, in the files of Pharma's peer.
func TestClaimsPrivateDetailsStayOffTheBlocksAndOutOfPharma(t *testing.T) {
	cast := claimsConnectCast(t)
	who, _ := claimsPayingPatient(t, cast)
	cov := claimsRegisterCoverage(t, cast.insurer, claimstypes.CoverageTerms{
		Member: who.Subject, PlanID: "PLAN-IT-PPO", PeriodStart: "2000-01-01", PeriodEnd: "2099-12-31",
		CoveredCodes: []string{"73110"}, CoinsuranceBP: 2000,
	}, cast.provider)

	code := claimsRareICD10()
	v := claimsNewVariant()
	details := claimsDetails(t, []string{code, "W19"},
		claimstypes.ServiceLine{Code: "73110", ServiceDate: v.date, Quantity: 1, UnitChargeCents: 9000 + v.cents})
	details.Nonce = claimsNonce(t, "claimsmarker")
	claimID := unique("claims-private")
	_, err := cast.provider.claims.SubmitClaim(ctx(t), claimstypes.ClaimSubmission{ID: claimID, Patient: who.Subject, CoverageID: cov.ID}, details)
	require.NoError(t, err)
	claimsAwaitStatus(t, claimID, claimstypes.StatusSubmitted, cast.insurer)
	rec, err := cast.insurer.claims.VerifyClaimDetails(ctx(t), claimID)
	require.NoError(t, err)
	require.Equal(t, code, rec.Details.Diagnoses[0], "the insurer reads the planted diagnosis")

	t.Run("no block holds the diagnosis code or the nonce, while the claim id is found", func(t *testing.T) {
		require.NotEmpty(t, blocksContaining(t, cast.provider.gw, []byte(claimID)),
			"positive control: the public claim id is in the block that carries the submission")
		require.Empty(t, blocksContaining(t, cast.provider.gw, []byte(code)), "diagnosis %s is in a block", code)
		require.Empty(t, blocksContaining(t, cast.provider.gw, []byte(strings.ReplaceAll(code, ".", ""))),
			"diagnosis %s, without its dot, is in a block", code)
		require.Empty(t, blocksContaining(t, cast.provider.gw, []byte(details.Nonce)), "the details' nonce is in a block")
	})

	pharma, outside := claimsPharmaOrg(t)
	t.Run("the Pharma organisation reads neither the details nor the header", func(t *testing.T) {
		if !outside {
			t.Skipf("org %s holds a provider, pharmacist or insurer role: it is a member of %s", pharma.Name, claimstypes.Collection)
		}
		maker := claimsConnect(t, "manufacturer", 0)
		require.Equal(t, pharma.MSPID, maker.info.MSPID)
		// A claim the caller may not see answers as a missing one.
		_, err := maker.claims.GetClaimDetails(ctx(t), claimID)
		require.ErrorIs(t, err, sdk.ErrNotFound)
		_, err = maker.claims.VerifyClaimDetails(ctx(t), claimID)
		require.ErrorIs(t, err, sdk.ErrNotFound, "without the header or the details there is no preimage to check")
		_, err = maker.claims.GetClaim(ctx(t), claimID)
		require.ErrorIs(t, err, sdk.ErrNotFound)

		// Even the claim's payer, asking Pharma's peer, gets nothing: that peer holds no copy.
		_, err = sdk.EvaluateJSON[claimstypes.ClaimRecord](ctx(t), cast.insurer.gw.Contract(claims.Chaincode), "GetClaimDetails",
			[]string{claimID}, sdk.WithEndorsingOrgs(pharma.MSPID))
		require.ErrorIs(t, err, sdk.ErrUnavailable, "Pharma's peer must have no private data of claim %s", claimID)
		require.NotContains(t, err.Error(), code)
	})

	t.Run("the files of Pharma's peer hold no copy, those of the provider's peer do", func(t *testing.T) {
		if env.netdir == "" {
			t.Skip("reads peer files: only on a network this suite started")
		}
		if !outside {
			t.Skipf("org %s is a member of %s", pharma.Name, claimstypes.Collection)
		}
		require.True(t, peerDataContains(t, cast.provider.info.Org, []byte(details.Nonce)),
			"positive control: the provider's peer stores the private details, nonce included")
		require.True(t, peerDataContains(t, cast.provider.info.Org, []byte(code)),
			"positive control: the provider's peer stores the planted diagnosis")
		require.False(t, peerDataContains(t, pharma.Name, []byte(details.Nonce)), "Pharma's peer stores the details' nonce")
		require.False(t, peerDataContains(t, pharma.Name, []byte(code)), "Pharma's peer stores diagnosis %s", code)
	})
}
