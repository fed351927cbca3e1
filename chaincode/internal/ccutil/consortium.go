package ccutil

import (
	"slices"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/orgroles"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
)

// AdminOU is the node OU of an organisation's admin certificates (Fabric's NodeOUs: the Fabric CA
// and cryptogen put it in every admin identity's certificate).
const AdminOU = "admin"

// EventConsortiumSet is the chaincode event of a SetConsortium.
const EventConsortiumSet = "ConsortiumSet"

// ConsortiumSet is the payload of [EventConsortiumSet].
type ConsortiumSet struct {
	Version int      `json:"version"`
	Orgs    []string `json:"orgs"`
	SetBy   string   `json:"setBy"` // the MSP id of the admin that submitted it
}

// SharedLimits returns the argument bound, in bytes, of each transaction that every contract
// inherits from [Contract]. The guard (package ccguard) adds them to each chaincode's own table.
func SharedLimits() map[string]int {
	return map[string]int{
		"SetConsortium": orgroles.MaxMapBytes,
		"GetConsortium": 1,
	}
}

// SetConsortium writes the consortium's role and GS1 prefix map (package orgroles) in this
// chaincode's namespace and answers it. Only an organisation's admin may submit it (its certificate's
// node OU is admin), of an organisation that the map in force names (the new map, on the first write).
// The map is checked strictly (orgroles.Map.Validate) and its version must be the previous one plus
// 1 (1 for the first write).
//
// Every write sets the key's key-level endorsement policy to a majority of the peers of the new map's
// organisations (orgroles.MajorityPolicy). Fabric checks a write of the key against the policy it
// carries before the write, so the first write (at deploy) needs only the chaincode's policy and
// every later change needs a majority of the organisations' peers: no single organisation can change
// who holds which role.
func (c *Contract) SetConsortium(ctx txstate.Context, mapJSON string) (*orgroles.Map, error) {
	mspID, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	m, err := orgroles.Parse([]byte(mapJSON))
	if err != nil {
		return nil, err
	}
	st := ctx.State()
	key := orgroles.Key()
	var prev orgroles.Map
	found, err := st.GetJSON(key, &prev)
	if err != nil {
		return nil, err
	}
	want, electorate := 1, m.Orgs()
	if found {
		want, electorate = prev.Version+1, prev.Orgs()
	}
	if m.Version != want {
		return nil, codes.New(codes.Conflict, "the consortium map's version must be %d, not %d", want, m.Version)
	}
	if !slices.Contains(electorate, mspID) {
		return nil, codes.New(codes.Forbidden, "an admin of %s may not set the consortium map: the map in force names %v", mspID, electorate)
	}
	policy, err := orgroles.MajorityPolicy(m.Orgs())
	if err != nil {
		return nil, err
	}
	if err := st.PutJSON(key, m); err != nil {
		return nil, err
	}
	if err := ctx.GetStub().SetStateValidationParameter(key, policy); err != nil {
		return nil, codes.New(codes.Internal, "setting the consortium map's endorsement policy: %v", err)
	}
	orgroles.Remember(ctx, m)
	if err := Emit(ctx, EventConsortiumSet, ConsortiumSet{Version: m.Version, Orgs: m.Orgs(), SetBy: mspID}); err != nil {
		return nil, err
	}
	return m, nil
}

// GetConsortium answers the consortium map in force in this chaincode's namespace; PRECONDITION_FAILED
// when there is none. Anyone may read it.
func (c *Contract) GetConsortium(ctx txstate.Context) (*orgroles.Map, error) {
	return orgroles.Load(ctx)
}

// requireAdmin returns the caller's MSP id when its certificate's node OU is admin, and FORBIDDEN
// otherwise.
func requireAdmin(ctx txstate.Context) (string, error) {
	id := ctx.GetClientIdentity()
	mspID, err := id.GetMSPID()
	if err != nil {
		return "", codes.New(codes.Internal, "reading the caller's MSP id: %v", err)
	}
	cert, err := id.GetX509Certificate()
	if err != nil {
		return "", codes.New(codes.Internal, "reading the caller's certificate: %v", err)
	}
	if cert == nil || !slices.Contains(cert.Subject.OrganizationalUnit, AdminOU) {
		return "", codes.New(codes.Forbidden, "only an organisation's admin (node OU %q) may set the consortium map", AdminOU)
	}
	return mspID, nil
}
