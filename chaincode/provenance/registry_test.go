package provenance_test

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

func TestRegisterProduct(t *testing.T) {
	t.Run("a manufacturer registers a product and becomes its manufacturer", func(t *testing.T) {
		w := newWorld(t)
		res := w.invoke(w.mfr, "RegisterProduct", mustJSON(t, productSpec(gtin13)))
		p := cctest.Decode[provenancetypes.Product](t, res)
		require.Equal(t, gtin, p.GTIN, "the GTIN is stored as a GTIN-14")
		require.Equal(t, pMfr, p.Manufacturer)
		require.Equal(t, provenancetypes.TempRange{MinCelsius: 2, MaxCelsius: 8}, p.Storage)
		ev := cctest.RequireEvent[provenancetypes.Product](t, res, provenancetypes.EventProductRegistered)
		require.Equal(t, gtin, ev.GTIN)
		got := cctest.Decode[provenancetypes.Product](t, w.evaluate(w.patient, "GetProduct", gtin13))
		require.Equal(t, p, got)
	})
	t.Run("the same product again is a duplicate and other details a conflict", func(t *testing.T) {
		w := newWorld(t)
		cctest.RequireOK(t, w.invoke(w.mfr, "RegisterProduct", mustJSON(t, productSpec(gtin))))
		w.fails(codes.Duplicate, w.mfr, "RegisterProduct", mustJSON(t, productSpec(gtin13)))
		other := productSpec(gtin)
		other.Strength = "300 U/mL"
		w.fails(codes.Conflict, w.mfr, "RegisterProduct", mustJSON(t, other))
		w.fails(codes.Conflict, w.mfr2, "RegisterProduct", mustJSON(t, productSpec(gtin)))
	})
	denials := []struct {
		name string
		who  func(w *world) *cctest.Identity
	}{
		{"a distributor may not register a product", func(w *world) *cctest.Identity { return w.dist }},
		{"a pharmacist may not register a product", func(w *world) *cctest.Identity { return w.pharm }},
		{"an auditor may not register a product", func(w *world) *cctest.Identity { return w.auditor }},
		{"an identity without a role may not register a product", func(w *world) *cctest.Identity {
			return w.l.Identity(pharmaMSP, "nobody", nil)
		}},
		{"a manufacturer whose subject is not a GLN may not register a product", func(w *world) *cctest.Identity {
			return w.l.Identity(pharmaMSP, "odd", cctest.RoleAttrs("manufacturer", "0614141000006"))
		}},
	}
	for _, tc := range denials {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.fails(codes.Forbidden, tc.who(w), "RegisterProduct", mustJSON(t, productSpec(gtin)))
		})
	}
	bad := []struct {
		name string
		spec func() string
	}{
		{"a GTIN with a wrong check digit is refused", func() string { s := productSpec("00614141000419"); return mustJSON(t, s) }},
		{"a GTIN of 11 digits is refused", func() string { s := productSpec("61414100041"); return mustJSON(t, s) }},
		{"a missing name is refused", func() string { s := productSpec(gtin); s.Name = " "; return mustJSON(t, s) }},
		{"a missing storage range is refused", func() string { s := productSpec(gtin); s.Storage = nil; return mustJSON(t, s) }},
		{"an inverted storage range is refused", func() string {
			s := productSpec(gtin)
			s.Storage = &provenancetypes.TempRange{MinCelsius: 8, MaxCelsius: 2}
			return mustJSON(t, s)
		}},
		{"an unknown field is refused", func() string { return `{"gtin":"00614141000418","colour":"red"}` }},
		{"text that is not JSON is refused", func() string { return `gtin=00614141000418` }},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.fails(codes.InvalidArgument, w.mfr, "RegisterProduct", tc.spec())
		})
	}
}

func TestGetProduct(t *testing.T) {
	w := newWorld(t)
	cctest.RequireCode(t, w.evaluate(w.patient, "GetProduct", gtin), codes.NotFound)
	cctest.RequireCode(t, w.evaluate(w.patient, "GetProduct", "123"), codes.InvalidArgument)
}

func TestRegisterParty(t *testing.T) {
	t.Run("a distributor registers itself from its certificate", func(t *testing.T) {
		w := newWorld(t)
		res := w.invoke(w.dist, "RegisterParty")
		rec := cctest.Decode[provenancetypes.PartyRecord](t, res)
		require.Equal(t, provenancetypes.PartyRecord{MSPID: pharmaMSP, GLN: glnDist, Role: "distributor", RegisteredAt: res.Time}, rec)
		cctest.RequireEvent[provenancetypes.PartyRecord](t, res, provenancetypes.EventPartyRegistered)
		got := cctest.Decode[provenancetypes.PartyRecord](t, w.evaluate(w.auditor, "GetParty", pharmaMSP, glnDist))
		require.Equal(t, rec, got)
	})
	t.Run("registering twice is a duplicate", func(t *testing.T) {
		w := newWorld(t)
		cctest.RequireOK(t, w.invoke(w.pharm, "RegisterParty"))
		w.fails(codes.Duplicate, w.pharm, "RegisterParty")
	})
	t.Run("the same GLN with another role is a conflict", func(t *testing.T) {
		w := newWorld(t)
		cctest.RequireOK(t, w.invoke(w.dist, "RegisterParty"))
		other := w.l.Identity(pharmaMSP, "distributor-as-manufacturer", cctest.RoleAttrs("manufacturer", glnDist))
		w.fails(codes.Conflict, other, "RegisterParty")
	})
	t.Run("an auditor or a patient may not register as a party", func(t *testing.T) {
		w := newWorld(t)
		w.fails(codes.Forbidden, w.auditor, "RegisterParty")
		w.fails(codes.Forbidden, w.patient, "RegisterParty")
	})
	t.Run("a pharmacist whose subject is not a GLN may not register", func(t *testing.T) {
		w := newWorld(t)
		odd := w.l.Identity(hospitalMSP, "odd", cctest.RoleAttrs("pharmacist", "PHARM-1"))
		w.fails(codes.Forbidden, odd, "RegisterParty")
	})
	t.Run("reading an unregistered or malformed party fails", func(t *testing.T) {
		w := newWorld(t)
		cctest.RequireCode(t, w.evaluate(w.patient, "GetParty", pharmaMSP, glnDist), codes.NotFound)
		cctest.RequireCode(t, w.evaluate(w.patient, "GetParty", pharmaMSP, "123"), codes.InvalidArgument)
		cctest.RequireCode(t, w.evaluate(w.patient, "GetParty", "", glnDist), codes.InvalidArgument)
	})
}
