package claims

import (
	"context"
	"fmt"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/gateway-client/fhir"
	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// claimView reads a claim's header and private record (GetClaim, GetClaimDetails: so only its
// provider, its insurer or an auditor of theirs) and checks that the details hash to the header's
// detailsHash.
func (c *Client) claimView(ctx context.Context, fn, claimID string) (fhir.ClaimView, error) {
	h, err := c.GetClaim(ctx, claimID)
	if err != nil {
		return fhir.ClaimView{}, err
	}
	rec, err := c.GetClaimDetails(ctx, claimID)
	if err != nil {
		return fhir.ClaimView{}, err
	}
	if got := claimstypes.HashDetails(rec.Details); got != h.DetailsHash {
		return fhir.ClaimView{}, fmt.Errorf("claims.%s: claim %s: %w (header %s, details %s)", fn, claimID, ErrDetailsMismatch, h.DetailsHash, got)
	}
	return fhir.ClaimView{Header: *h, Record: *rec}, nil
}

// ExplanationOfBenefit reads a claim as its provider or insurer may (header and verified details,
// adjudication, payment) and converts it to a FHIR R4 ExplanationOfBenefit.
func (c *Client) ExplanationOfBenefit(ctx context.Context, claimID string) (*fhir.EOBResource, error) {
	v, err := c.claimView(ctx, "ExplanationOfBenefit", claimID)
	if err != nil {
		return nil, err
	}
	r, err := fhir.ExplanationOfBenefit(v)
	if err != nil {
		return nil, exportError("ExplanationOfBenefit", err)
	}
	return r, nil
}

// Remittance835 reads a paid claim as its provider or insurer may and writes it as an X12
// 005010X221A1-shaped 835; opts sets the envelope (zero values: see fhir.X12Options). A claim that is
// not paid is PRECONDITION_FAILED.
func (c *Client) Remittance835(ctx context.Context, claimID string, opts fhir.X12Options) (string, error) {
	v, err := c.claimView(ctx, "Remittance835", claimID)
	if err != nil {
		return "", err
	}
	text, err := fhir.Remittance835(v, opts)
	if err != nil {
		return "", exportError("Remittance835", err)
	}
	return text, nil
}

// exportError wraps a conversion failure of fn with the sentinel of its code.
func exportError(fn string, err error) error {
	switch codes.Of(err) {
	case codes.InvalidArgument:
		return fmt.Errorf("claims.%s: %w: %w", fn, sdk.ErrInvalidArgument, err)
	case codes.PreconditionFailed:
		return fmt.Errorf("claims.%s: %w: %w", fn, sdk.ErrPreconditionFailed, err)
	}
	return fmt.Errorf("claims.%s: %w", fn, err)
}
