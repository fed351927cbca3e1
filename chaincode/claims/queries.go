package claims

import (
	"strings"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// GetClaim returns a claim's public header. Readers: its provider, its insurer, its patient and
// auditors.
// A missing claim and one the caller may not read get the same NOT_FOUND.
func (c *Contract) GetClaim(ctx txstate.Context, claimID string) (*claimstypes.ClaimHeader, error) {
	return readClaim(ctx, claimID, "GetClaim")
}

func readClaim(ctx txstate.Context, claimID, action string) (*claimstypes.ClaimHeader, error) {
	caller, err := ccutil.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("claim id", claimID); err != nil {
		return nil, err
	}
	h, err := visibleClaim(newStore(ctx), action, claimID, func(h *claimstypes.ClaimHeader) bool { return canReadClaim(caller, h) })
	if err != nil {
		return nil, err
	}
	if err := boundOrHidden(ctx, caller, h.Patient, action, "claim", claimID); err != nil {
		return nil, err
	}
	return h, nil
}

// GetClaimDetails returns a claim's private record: details, adjudication and payment. Readers: its
// provider, its insurer and an auditor of either party's organisation.
//
// The answer is sealed under the caller's key (transient field seal.TransientKey; docs/privacy.md), so
// that it holds no private data even in a block.
func (c *Contract) GetClaimDetails(ctx txstate.Context, claimID string) (*seal.Envelope, error) {
	caller, err := ccutil.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("claim id", claimID); err != nil {
		return nil, err
	}
	st := newStore(ctx)
	if _, err := visibleClaim(st, "GetClaimDetails", claimID, func(h *claimstypes.ClaimHeader) bool { return canReadClaimDetails(caller, h) }); err != nil {
		return nil, err
	}
	cs, err := st.loadClaimState(claimID)
	if err != nil {
		return nil, err
	}
	return ccutil.Sealed(ctx, "GetClaimDetails", &cs.Record)
}

// ClaimHistory returns every version of a claim's public header, oldest first. Readers: as GetClaim.
func (c *Contract) ClaimHistory(ctx txstate.Context, claimID string) ([]claimstypes.ClaimHistoryEntry, error) {
	h, err := readClaim(ctx, claimID, "ClaimHistory")
	if err != nil {
		return nil, err
	}
	k, err := ctx.State().Key(objClaim, h.ID)
	if err != nil {
		return nil, err
	}
	versions, err := ccutil.History[claimstypes.ClaimHeader](ctx, k)
	if err != nil {
		return nil, err
	}
	out := make([]claimstypes.ClaimHistoryEntry, 0, len(versions))
	for _, v := range versions {
		out = append(out, claimstypes.ClaimHistoryEntry{TxID: v.TxID, Timestamp: v.Timestamp, IsDelete: v.IsDelete, Value: v.Value})
	}
	return out, nil
}

// ListClaimsByProvider pages through a provider's claims, by claim id. Readers: that provider and
// auditors.
func (c *Contract) ListClaimsByProvider(ctx txstate.Context, providerMSP, provider string, pageSize int, bookmark string) (*claimstypes.ClaimPage, error) {
	caller, err := ccutil.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	self := caller.Is(wire.RoleProvider, wire.RolePharmacist) && caller.MSPID == providerMSP && caller.Subject == provider
	if !self && !caller.Is(wire.RoleAuditor) {
		return nil, codes.New(codes.Forbidden, "ListClaimsByProvider: %s may not list the claims of %s of %s", who(caller), provider, providerMSP)
	}
	if err := wire.CheckID("provider MSP id", providerMSP); err != nil {
		return nil, err
	}
	if err := wire.CheckID("provider", provider); err != nil {
		return nil, err
	}
	return listClaims(ctx, objByProvider, []string{providerMSP, provider}, pageSize, bookmark)
}

// ListClaimsByInsurer pages through the claims sent to an insurer organisation, by claim id. Readers:
// that organisation's insurers and auditors.
func (c *Contract) ListClaimsByInsurer(ctx txstate.Context, insurerMSP string, pageSize int, bookmark string) (*claimstypes.ClaimPage, error) {
	caller, err := ccutil.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	self := caller.Is(wire.RoleInsurer) && caller.MSPID == insurerMSP
	if !self && !caller.Is(wire.RoleAuditor) {
		return nil, codes.New(codes.Forbidden, "ListClaimsByInsurer: %s may not list the claims of %s", who(caller), insurerMSP)
	}
	if err := wire.CheckID("insurer MSP id", insurerMSP); err != nil {
		return nil, err
	}
	return listClaims(ctx, objByInsurer, []string{insurerMSP}, pageSize, bookmark)
}

// ListClaimsByStatus pages through the claims in a status. An auditor sees every organisation's; an
// insurer sees its own organisation's only. Others get FORBIDDEN.
func (c *Contract) ListClaimsByStatus(ctx txstate.Context, status string, pageSize int, bookmark string) (*claimstypes.ClaimPage, error) {
	caller, err := ccutil.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	var attrs []string
	switch {
	case caller.Is(wire.RoleAuditor):
		attrs = []string{status}
	case caller.Is(wire.RoleInsurer):
		attrs = []string{status, caller.MSPID}
	default:
		return nil, codes.New(codes.Forbidden, "ListClaimsByStatus: %s may not list claims by status; insurers and auditors may", who(caller))
	}
	if !claimstypes.Status(status).Valid() {
		return nil, codes.New(codes.InvalidArgument, "status %s is unknown: want one of %v", wire.Quote(status), claimstypes.Statuses())
	}
	return listClaims(ctx, objByStatus, attrs, pageSize, bookmark)
}

// listClaims reads one page of an index and the headers it names. A bookmark must lie inside the
// index's prefix: a peer starts the page at any bookmark it is given.
func listClaims(ctx txstate.Context, objectType string, attrs []string, pageSize int, bookmark string) (*claimstypes.ClaimPage, error) {
	if bookmark != "" {
		prefix, err := ctx.State().Key(objectType, attrs...)
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(bookmark, prefix) {
			return nil, codes.New(codes.InvalidArgument, "the bookmark does not belong to this query")
		}
	}
	stub := ctx.GetStub()
	decode := func(key string, _ []byte) (claimstypes.ClaimHeader, error) {
		_, parts, err := stub.SplitCompositeKey(key)
		if err != nil || len(parts) == 0 {
			return claimstypes.ClaimHeader{}, codes.New(codes.Internal, "index key %q is malformed", key)
		}
		k, err := ctx.State().Key(objClaim, parts[len(parts)-1])
		if err != nil {
			return claimstypes.ClaimHeader{}, err
		}
		var h claimstypes.ClaimHeader
		ok, err := ctx.State().GetJSON(k, &h)
		if err != nil {
			return claimstypes.ClaimHeader{}, err
		}
		if !ok {
			return claimstypes.ClaimHeader{}, codes.New(codes.Internal, "index key %q names a missing claim", key)
		}
		return h, nil
	}
	page, err := ccutil.ListByPartialKey(ctx, objectType, attrs, pageSize, bookmark, decode)
	if err != nil {
		return nil, err
	}
	return &claimstypes.ClaimPage{Items: page.Items, Bookmark: page.Bookmark}, nil
}
