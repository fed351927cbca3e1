package claims_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/gateway-client/claims"
	"github.com/healthledger/healthledger/gateway-client/fhir"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/stretchr/testify/require"
)

// recordedClaim is a paid claim as the claims contract answers GetClaim and GetClaimDetails (recorded
// by chaincode/claims TestFHIRExportFromChaincodeAnswers).
func recordedClaim(t *testing.T) (claimstypes.ClaimHeader, claimstypes.ClaimRecord) {
	t.Helper()
	raw, err := os.ReadFile("../fhir/testdata/recorded/claim-paid.json")
	require.NoError(t, err)
	var rec struct {
		Header claimstypes.ClaimHeader `json:"header"`
		Record claimstypes.ClaimRecord `json:"record"`
	}
	require.NoError(t, json.Unmarshal(raw, &rec))
	return rec.Header, rec.Record
}

func TestExplanationOfBenefitAndRemittance(t *testing.T) {
	ctx := context.Background()
	h, rec := recordedClaim(t)
	g := newGateway()
	g.answer(t, "GetClaim", h)
	g.answer(t, "GetClaimDetails", rec)
	c := newClient(t, g, insurer1, false)

	eob, err := c.ExplanationOfBenefit(ctx, h.ID)
	require.NoError(t, err)
	require.Equal(t, "ExplanationOfBenefit", eob.ResourceType)
	require.Equal(t, "partial", eob.Outcome)
	require.Equal(t, "Patient/"+h.Patient, eob.Patient.Reference)
	require.Len(t, eob.Item, len(rec.Details.Lines))
	var fns []string
	for _, call := range g.recorded() {
		require.False(t, call.Submit, "an export only evaluates")
		require.Equal(t, []string{h.ID}, call.Args)
		fns = append(fns, call.Function)
	}
	require.Equal(t, []string{"GetClaim", "GetClaimDetails"}, fns)

	text, err := c.Remittance835(ctx, h.ID, fhir.X12Options{Control: 12})
	require.NoError(t, err)
	r, err := fhir.Parse835(text)
	require.NoError(t, err)
	require.NoError(t, r.Check())
	require.Equal(t, rec.Payment.AmountCents, r.PaymentCents)
	require.Equal(t, "000000012", r.ISAControl)
}

func TestExportsRefuse(t *testing.T) {
	ctx := context.Background()
	h, rec := recordedClaim(t)

	t.Run("details that do not match the header", func(t *testing.T) {
		g := newGateway()
		g.answer(t, "GetClaim", h)
		tampered := rec
		tampered.Details.Diagnoses = []string{"Z00.00"}
		g.answer(t, "GetClaimDetails", tampered)
		_, err := newClient(t, g, insurer1, false).ExplanationOfBenefit(ctx, h.ID)
		require.ErrorIs(t, err, claims.ErrDetailsMismatch)
	})
	t.Run("an unpaid claim has no remittance", func(t *testing.T) {
		g := newGateway()
		g.answer(t, "GetClaim", h)
		unpaid := rec
		unpaid.Payment = nil
		g.answer(t, "GetClaimDetails", unpaid)
		_, err := newClient(t, g, insurer1, false).Remittance835(ctx, h.ID, fhir.X12Options{})
		require.ErrorIs(t, err, sdk.ErrPreconditionFailed)
		require.Equal(t, codes.PreconditionFailed, codes.Of(err))
	})
	t.Run("an unknown status is not mapped", func(t *testing.T) {
		g := newGateway()
		odd := h
		odd.Status = "archived"
		g.answer(t, "GetClaim", odd)
		g.answer(t, "GetClaimDetails", rec)
		_, err := newClient(t, g, insurer1, false).ExplanationOfBenefit(ctx, h.ID)
		require.ErrorIs(t, err, sdk.ErrInvalidArgument)
	})
	t.Run("a caller who may not read the details", func(t *testing.T) {
		g := newGateway()
		g.answer(t, "GetClaim", h)
		g.errs["GetClaimDetails"] = codes.New(codes.Forbidden, "claim %s: only its provider and insurer read the details", h.ID)
		_, err := newClient(t, g, insurer1, false).ExplanationOfBenefit(ctx, h.ID)
		require.True(t, errors.Is(err, sdk.ErrForbidden), "%v", err)
	})
}
