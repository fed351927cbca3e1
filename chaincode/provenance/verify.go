package provenance

import (
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
)

// Verify answers the DSCSA verification question for a product identifier: is this GTIN + serial
// known, with this lot and this expiry, and may it be sold now? It reads the unit's key and its
// batch's key, nothing else, so it costs the same whatever the size of the batch and the ledger. Any
// member may call it. expiry is YYYY-MM-DD or the GS1 YYMMDD form. When several answers apply the
// first of provenancetypes.VerifyResults wins; "expired" compares with the transaction's date.
func (c *Contract) Verify(ctx txstate.Context, gtin, serial, lot, expiry string) (*provenancetypes.VerifyResult, error) {
	// The caller first: a role the consortium map does not grant its organisation is refused before
	// any argument or object is looked at. Any member, with a role or without, may read.
	if _, err := ccutil.CallerOf(ctx); err != nil {
		return nil, err
	}
	gtin, lot, err := batchArgs(gtin, lot)
	if err != nil {
		return nil, err
	}
	if err := provenancetypes.CheckSerial(serial); err != nil {
		return nil, invalidArg(err)
	}
	exp, err := provenancetypes.NormalizeDate(expiry)
	if err != nil {
		return nil, invalidArg(err)
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	res := &provenancetypes.VerifyResult{GTIN: gtin, Serial: serial, CheckedAt: t.now}
	u, _, found, err := t.getUnit(gtin, serial)
	if err != nil {
		return nil, err
	}
	if !found {
		res.Result = provenancetypes.VerifyUnknownSerial
		return res, nil
	}
	b, err := t.getBatch(gtin, u.Lot)
	if err != nil {
		return nil, codes.New(codes.Internal, "unit %s serial %s has no batch: %v", gtin, serial, err)
	}
	_, status, _, _ := u.effective(b)
	res.Suspect = u.Suspect != nil || b.Suspect
	switch {
	case u.Lot != lot:
		res.Result = provenancetypes.VerifyLotMismatch
	case b.Expiry != exp:
		res.Result = provenancetypes.VerifyExpiryMismatch
	case b.Recalled:
		res.Result = provenancetypes.VerifyRecalled
	case status == provenancetypes.UnitDecommissioned || status == provenancetypes.UnitDestroyed:
		res.Result = provenancetypes.VerifyDecommissioned
	case b.Quarantined:
		res.Result = provenancetypes.VerifyQuarantined
	case b.Excursion:
		res.Result = provenancetypes.VerifyExcursion
	case status == provenancetypes.UnitDispensed:
		res.Result = provenancetypes.VerifyDispensed
	case expired(b.Expiry, t.now):
		res.Result = provenancetypes.VerifyExpired
	default:
		res.Result = provenancetypes.VerifyVerified
	}
	return res, nil
}

// GetUnit returns one unit: its lot, expiry, status, holder, and the flags of its batch ("recalled" is
// true when its batch is recalled). It reads the unit's key and its batch's key. Any member may call
// it; the claims chaincode calls it to match a pharmacy claim with a dispense.
func (c *Contract) GetUnit(ctx txstate.Context, gtin, serial string) (*provenancetypes.Unit, error) {
	// The caller first: a role the consortium map does not grant its organisation is refused before
	// any argument or object is looked at. Any member, with a role or without, may read.
	if _, err := ccutil.CallerOf(ctx); err != nil {
		return nil, err
	}
	gtin, err := unitArgs(gtin, serial)
	if err != nil {
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	u, _, b, err := t.loadUnit(gtin, serial)
	if err != nil {
		return nil, err
	}
	return unitView(gtin, serial, u, b), nil
}
