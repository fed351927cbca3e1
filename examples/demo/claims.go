package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/claims"
	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// claimsStory walks one professional claim through its life on net: the patient consents to the
// insurer seeing claims for payment, the insurer registers a coverage, the provider submits a claim,
// the contract adjudicates it and the insurer pays. It prints one line per step to out. Coverage and
// claim ids are new on every run; the consent id is stable per patient, so repeated runs reuse it
// instead of piling up active consents.
func claimsStory(ctx context.Context, net *sdk.Network, out io.Writer) error {
	patientC, err := claimsDemoConnect(ctx, net, "patient")
	if err != nil {
		return err
	}
	defer patientC.Close()
	providerC, err := claimsDemoConnect(ctx, net, "provider")
	if err != nil {
		return err
	}
	defer providerC.Close()
	insurerC, err := claimsDemoConnect(ctx, net, "insurer")
	if err != nil {
		return err
	}
	defer insurerC.Close()

	patient, provider, insurer := patientC.Identity(), providerC.Identity(), insurerC.Identity()
	provClaims, insClaims := claims.New(providerC), claims.New(insurerC)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)

	// 1. Consent: disclose of class Claim to the insurer's whole organisation, for payment.
	consentID, fresh, err := claimsDemoConsent(ctx, consent.New(patientC), patient.Subject, insurer.MSPID, run)
	if err != nil {
		return err
	}
	state := "granted"
	if !fresh {
		state = "already in force"
	}
	fmt.Fprintf(out, "consent:    %s lets %s see claims for payment (consent %s, %s)\n", patient.Name, insurer.MSPID, consentID, state)
	// The claims chaincode asks the consent chaincode on the insurer's peer too.
	insConsent := consent.New(insurerC)
	if err := claimsDemoWait(ctx, "the consent on the insurer's peer", func() error {
		d, err := insConsent.CheckAccess(ctx, patient.Subject, consenttypes.Grantee{MSPID: insurer.MSPID}, consenttypes.ActionDisclose, consenttypes.PurposePayment, consenttypes.ClassClaim)
		if err != nil {
			return err
		}
		if !d.Permitted() {
			return fmt.Errorf("%s: %s", d.Decision, d.Reason)
		}
		return nil
	}); err != nil {
		return err
	}

	// 2. Coverage: $50.00 deductible, 20 % coinsurance, office visits allowed up to $120.00.
	serviceDay := time.Now().UTC().AddDate(0, 0, -1)
	year := serviceDay.Format("2006")
	coverageID := "cov-demo-" + run
	cov, err := insClaims.RegisterCoverage(ctx, coverageID, claimstypes.CoverageTerms{
		Member: patient.Subject, PlanID: "PLAN-DEMO-PPO", PeriodStart: year + "-01-01", PeriodEnd: year + "-12-31",
		CoveredCodes:    []string{"99213", "85025"},
		DeductibleCents: 5000, CoinsuranceBP: 2000,
		FeeSchedule: []claimstypes.FeeScheduleEntry{{Code: "99213", AllowedUnitCents: 12000}},
	})
	if err != nil {
		return fmt.Errorf("registering coverage %s: %w", coverageID, err)
	}
	fmt.Fprintf(out, "coverage:   %s (%s) covers %s under %s (terms hash %.12s…, terms private)\n", insurer.Name, insurer.Subject, patient.Subject, cov.ID, cov.TermsHash)
	if err := claimsDemoWait(ctx, "the coverage on the provider's peer", func() error {
		_, err := provClaims.GetCoverage(ctx, coverageID)
		return err
	}); err != nil {
		return err
	}

	// 3. Claim: an office visit and a blood count; the charges vary per run so that no earlier run's
	// claim makes this one a duplicate.
	date := serviceDay.Format(claimstypes.DateLayout)
	lines := []claimstypes.ServiceLine{
		{Code: "99213", ServiceDate: date, Quantity: 1, UnitChargeCents: 15000 + rand.Int64N(5000)},
		{Code: "85025", ServiceDate: date, Quantity: 1, UnitChargeCents: 2500 + rand.Int64N(500)},
	}
	var total int64
	for _, l := range lines {
		total += l.ChargeCents()
	}
	claimID := "clm-demo-" + run
	h, err := provClaims.SubmitClaim(ctx, claimstypes.ClaimSubmission{ID: claimID, Patient: patient.Subject, CoverageID: coverageID},
		claimstypes.ClaimDetails{Diagnoses: []string{"J06.9"}, Lines: lines, TotalCents: total})
	if err != nil {
		return fmt.Errorf("submitting claim %s: %w", claimID, err)
	}
	fmt.Fprintf(out, "submit:     %s (NPI %s) billed %s on %s: %s, details private (hash %.12s…)\n", provider.Name, provider.Subject, claimsDemoMoney(total), h.ID, h.Status, h.DetailsHash)

	// 4. Adjudication, computed by the contract on both endorsing peers.
	if err := claimsDemoAwait(ctx, insClaims, claimID, claimstypes.StatusSubmitted); err != nil {
		return err
	}
	if _, err := insClaims.Adjudicate(ctx, claimID); err != nil {
		return fmt.Errorf("adjudicating claim %s: %w", claimID, err)
	}
	rec, err := insClaims.GetClaimDetails(ctx, claimID)
	if err != nil {
		return fmt.Errorf("reading the adjudication of claim %s: %w", claimID, err)
	}
	a := rec.Adjudication
	if a == nil {
		return fmt.Errorf("claim %s has no adjudication", claimID)
	}
	fmt.Fprintf(out, "adjudicate: %s: allowed %s, plan pays %s, patient owes %s\n", a.Outcome, claimsDemoMoney(a.TotalAllowedCents), claimsDemoMoney(a.TotalPaidCents), claimsDemoMoney(a.TotalPatientRespCents))
	if a.TotalPaidCents == 0 {
		return fmt.Errorf("claim %s was %s: nothing to pay", claimID, a.Outcome)
	}

	// 5. Payment: the amount travels as transient data and stays private.
	if err := claimsDemoAwait(ctx, provClaims, claimID, claimstypes.StatusAdjudicated); err != nil {
		return err
	}
	ref := "EFT-" + run
	paid, err := insClaims.Pay(ctx, claimID, a.TotalPaidCents, ref)
	if err != nil {
		return fmt.Errorf("paying claim %s: %w", claimID, err)
	}
	fmt.Fprintf(out, "pay:        %s paid %s to %s (ref %s); claim %s is %s\n", insurer.Name, claimsDemoMoney(a.TotalPaidCents), provider.Name, ref, paid.ID, paid.Status)
	return nil
}

// claimsDemoConnect connects the first identity of the network holding role.
func claimsDemoConnect(ctx context.Context, net *sdk.Network, role string) (*sdk.Client, error) {
	ids := net.Identities(role)
	if len(ids) == 0 {
		return nil, fmt.Errorf("the network has no identity with role %s", role)
	}
	c, err := net.Connect(ctx, ids[0].Name)
	if err != nil {
		return nil, fmt.Errorf("connecting %s: %w", ids[0].Name, err)
	}
	return c, nil
}

// claimsDemoConsent grants the payment consent under a stable id. It reports fresh=false when that
// consent is already granted with the same terms; when the id was used otherwise (revoked, other
// terms) it grants under an id of this run.
func claimsDemoConsent(ctx context.Context, consents *consent.Client, patient, insurerMSP, run string) (string, bool, error) {
	c := consenttypes.Consent{
		ID:       "demo-claims-pay-" + patient,
		Patient:  patient,
		Grantee:  consenttypes.Grantee{MSPID: insurerMSP}.String(),
		Decision: consenttypes.Permit,
		Actions:  []consenttypes.Action{consenttypes.ActionDisclose},
		Purposes: []consenttypes.Purpose{consenttypes.PurposePayment},
		Classes:  []consenttypes.DataClass{consenttypes.ClassClaim},
	}
	if _, err := consents.RegisterPatient(ctx); err != nil && !errors.Is(err, sdk.ErrDuplicate) {
		return "", false, fmt.Errorf("registering patient %s: %w", patient, err)
	}
	_, err := consents.Grant(ctx, c)
	switch {
	case err == nil:
		return c.ID, true, nil
	case errors.Is(err, sdk.ErrDuplicate):
		return c.ID, false, nil
	case !errors.Is(err, sdk.ErrConflict):
		return "", false, fmt.Errorf("granting consent %s: %w", c.ID, err)
	}
	c.ID = "demo-claims-pay-" + run
	if _, err := consents.Grant(ctx, c); err != nil {
		return "", false, fmt.Errorf("granting consent %s: %w", c.ID, err)
	}
	return c.ID, true, nil
}

// claimsDemoAwait waits until the claim shows status want through c's peer: each org's peer commits a
// block on its own, and life-cycle calls are endorsed by both parties' peers.
func claimsDemoAwait(ctx context.Context, c *claims.Client, claimID string, want claimstypes.Status) error {
	return claimsDemoWait(ctx, fmt.Sprintf("claim %s %s", claimID, want), func() error {
		h, err := c.GetClaim(ctx, claimID)
		if err != nil {
			return err
		}
		if h.Status != want {
			return fmt.Errorf("status %s", h.Status)
		}
		return nil
	})
}

// claimsDemoWait retries check for up to 15 seconds.
func claimsDemoWait(ctx context.Context, what string, check func() error) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// claimsDemoMoney formats cents as dollars.
func claimsDemoMoney(cents int64) string {
	return fmt.Sprintf("$%d.%02d", cents/100, cents%100)
}
