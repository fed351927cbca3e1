package provenance

import (
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/orgroles"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// RegisterProduct registers a trade item. Only a manufacturer registers, and it becomes the product's
// manufacturer. The GTIN's GS1 company prefix must belong to the caller's organisation in the
// consortium map (package orgroles): another's is FORBIDDEN, so no member can register, first, a
// product that another member makes. Registering the same GTIN again with the same content is
// DUPLICATE, with other content CONFLICT.
func (c *Contract) RegisterProduct(ctx txstate.Context, productJSON string) (*provenancetypes.Product, error) {
	_, me, err := requireParty(ctx, "RegisterProduct", wire.RoleManufacturer)
	if err != nil {
		return nil, err
	}
	spec, err := decodeSpec[provenancetypes.ProductSpec]("product", productJSON)
	if err != nil {
		return nil, err
	}
	roles, err := orgroles.Load(ctx)
	if err != nil {
		return nil, err
	}
	if !roles.OwnsGTIN(me.MSPID, spec.GTIN) {
		return nil, codes.New(codes.Forbidden, "GTIN %s: its GS1 company prefix is not one of %s's in the consortium map", spec.GTIN, me.MSPID)
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	p := &provenancetypes.Product{
		GTIN: spec.GTIN, Name: spec.Name, Strength: spec.Strength, DosageForm: spec.DosageForm,
		Storage: *spec.Storage, Manufacturer: me, RegisteredAt: t.now,
	}
	k, err := t.Key(objProduct, p.GTIN)
	if err != nil {
		return nil, err
	}
	var old provenancetypes.Product
	found, err := t.GetJSON(k, &old)
	if err != nil {
		return nil, err
	}
	if found {
		p.RegisteredAt = old.RegisteredAt
		if sameJSON(p, &old) {
			return nil, codes.New(codes.Duplicate, "product %s is already registered", p.GTIN)
		}
		return nil, codes.New(codes.Conflict, "product %s is already registered with other details", p.GTIN)
	}
	if err := t.PutJSON(k, p); err != nil {
		return nil, err
	}
	if err := ccutil.Emit(ctx, provenancetypes.EventProductRegistered, p); err != nil {
		return nil, err
	}
	return p, nil
}

// GetProduct returns a product. Any member may read it.
func (c *Contract) GetProduct(ctx txstate.Context, gtin string) (*provenancetypes.Product, error) {
	// The caller first: a role the consortium map does not grant its organisation is refused before
	// any argument or object is looked at. Any member, with a role or without, may read.
	if _, err := ccutil.CallerOf(ctx); err != nil {
		return nil, err
	}
	g, err := gtinArg(gtin)
	if err != nil {
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	return t.getProduct(g)
}

// RegisterParty registers the caller as a party that goods can be shipped to: its MSP id, its GLN (the
// certificate's subject) and its role, all from its certificate. Manufacturers, distributors and
// pharmacists register themselves once; again with the same role is DUPLICATE, with another role
// CONFLICT.
func (c *Contract) RegisterParty(ctx txstate.Context) (*provenancetypes.PartyRecord, error) {
	caller, me, err := requireParty(ctx, "RegisterParty", supplyRoles...)
	if err != nil {
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	old, found, err := t.getParty(me)
	if err != nil {
		return nil, err
	}
	if found {
		if old.Role == caller.Role {
			return nil, codes.New(codes.Duplicate, "party %s is already registered", me)
		}
		return nil, codes.New(codes.Conflict, "party %s is registered with role %s, not %s", me, old.Role, caller.Role)
	}
	rec := &provenancetypes.PartyRecord{MSPID: me.MSPID, GLN: me.GLN, Role: caller.Role, RegisteredAt: t.now}
	k, err := t.Key(objParty, me.MSPID, me.GLN)
	if err != nil {
		return nil, err
	}
	if err := t.PutJSON(k, rec); err != nil {
		return nil, err
	}
	if err := ccutil.Emit(ctx, provenancetypes.EventPartyRegistered, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// GetParty returns a registered party. Any member may read it.
func (c *Contract) GetParty(ctx txstate.Context, mspID, gln string) (*provenancetypes.PartyRecord, error) {
	// The caller first: a role the consortium map does not grant its organisation is refused before
	// any argument or object is looked at. Any member, with a role or without, may read.
	if _, err := ccutil.CallerOf(ctx); err != nil {
		return nil, err
	}
	p := provenancetypes.Party{MSPID: mspID, GLN: gln}
	if err := provenancetypes.CheckParty(p); err != nil {
		return nil, invalidArg(err)
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	rec, found, err := t.getParty(p)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, codes.New(codes.NotFound, "party %s", p)
	}
	return rec, nil
}
