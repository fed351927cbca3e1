package claims

import (
	"slices"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// isClaimProvider: the caller is the claim's billing provider (same MSP and subject) in a provider or
// pharmacist role.
func isClaimProvider(c ccutil.Caller, h *claimstypes.ClaimHeader) bool {
	return c.Is(wire.RoleProvider, wire.RolePharmacist) && c.MSPID == h.ProviderMSP && c.Subject == h.Provider
}

// isClaimInsurer: the caller is the claim's payer (same MSP and payer id) in the insurer role.
func isClaimInsurer(c ccutil.Caller, h *claimstypes.ClaimHeader) bool {
	return c.Is(wire.RoleInsurer) && c.MSPID == h.InsurerMSP && c.Subject == h.Insurer
}

// canReadClaim: the two parties, the patient and any auditor read a claim's public header.
func canReadClaim(c ccutil.Caller, h *claimstypes.ClaimHeader) bool {
	return isClaimProvider(c, h) || isClaimInsurer(c, h) || c.Is(wire.RoleAuditor) ||
		(c.Is(wire.RolePatient) && c.Subject == h.Patient)
}

// canReadClaimDetails: the two parties, and an auditor of either party's organisation, read details.
func canReadClaimDetails(c ccutil.Caller, h *claimstypes.ClaimHeader) bool {
	return isClaimProvider(c, h) || isClaimInsurer(c, h) ||
		(c.Is(wire.RoleAuditor) && (c.MSPID == h.ProviderMSP || c.MSPID == h.InsurerMSP))
}

// isCoverageInsurer: the caller is the payer that registered the coverage.
func isCoverageInsurer(c ccutil.Caller, h *claimstypes.CoverageHeader) bool {
	return c.Is(wire.RoleInsurer) && c.MSPID == h.InsurerMSP && c.Subject == h.Insurer
}

// canReadCoverage: the insurer, the member, providers and pharmacists (who must name the coverage on a
// claim) and auditors read a coverage's public header.
func canReadCoverage(c ccutil.Caller, h *claimstypes.CoverageHeader) bool {
	return isCoverageInsurer(c, h) || c.Is(wire.RoleProvider, wire.RolePharmacist, wire.RoleAuditor) ||
		(c.Is(wire.RolePatient) && c.Subject == h.Member)
}

// canReadCoverageTerms: the coverage's parties (the insurer and the member) and an auditor of the
// insurer's organisation read the terms and accumulators.
func canReadCoverageTerms(c ccutil.Caller, h *claimstypes.CoverageHeader) bool {
	return isCoverageInsurer(c, h) || (c.Is(wire.RoleAuditor) && c.MSPID == h.InsurerMSP) ||
		(c.Is(wire.RolePatient) && c.Subject == h.Member)
}

// requireBoundPatient applies consent's patient binding to a caller that reads as a patient: the
// consent chaincode's CheckPatient, called on this channel with this transaction's signed proposal,
// succeeds only for a certificate that carries the key the patient registered. A certificate with the
// patient's id and another key, or of a patient who never registered, gets consent's FORBIDDEN.
// Callers in another role pass unchecked.
func requireBoundPatient(ctx txstate.Context, c ccutil.Caller, patient, action string) error {
	if !c.Is(wire.RolePatient) {
		return nil
	}
	if err := ccutil.InvokeJSON(ctx, ConsentChaincode, "CheckPatient", []string{patient}, nil); err != nil {
		code := codes.Of(err)
		if code != codes.Forbidden && code != codes.InvalidArgument {
			code = codes.Unavailable
		}
		return relay(err, code, "%s: checking the binding of patient %s", action, patient)
	}
	return nil
}

func who(c ccutil.Caller) string {
	role := c.Role
	if role == "" {
		role = "none"
	}
	return c.MSPID + "/" + role + "/" + c.Subject
}

// requireStatus returns PRECONDITION_FAILED unless the claim is in one of the given statuses.
func requireStatus(h *claimstypes.ClaimHeader, action string, from ...claimstypes.Status) error {
	if !slices.Contains(from, h.Status) {
		return codes.New(codes.PreconditionFailed, "%s: claim %s is %s; allowed only from %v", action, h.ID, h.Status, from)
	}
	return nil
}
