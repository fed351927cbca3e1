// Package orgroles is the consortium's decision of which organisations may hold which role, and which
// GS1 company prefixes belong to which organisation: the [Map], kept on the ledger in the namespace
// of every healthledger chaincode (consent, provenance and claims each hold their own copy, because
// one chaincode cannot read another's state cheaply on every call).
//
// Deploy writes the map from the network's layout with the SetConsortium transaction that every
// contract inherits from ccutil.Contract; after that first write its key carries a key-level
// endorsement policy that needs the peers of a majority of the map's organisations, so no single
// organisation can change it. [Load] reads it once per transaction and fails closed: a contract that
// finds no map refuses every role.
package orgroles

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// ObjectType is the composite-key object type of the map's key; [Key] is the key itself.
const ObjectType = "consortium"

// MaxMapBytes bounds the JSON of a map handed to SetConsortium.
const MaxMapBytes = 64 << 10

// Bounds of a map's contents.
const (
	MaxOrgs        = 64 // organisations named in a map
	MaxPrefixes    = 64 // GS1 company prefixes of one organisation
	MinPrefixDigit = 6  // a GS1 company prefix has 6 to 12 digits
	MaxPrefixDigit = 12
)

// Map is the consortium's role and GS1 prefix map.
type Map struct {
	// Roles maps a role (one of wire.Roles) to the MSP ids entitled to it.
	Roles map[string][]string `json:"roles"`
	// GS1Prefixes maps an MSP id to the GS1 company prefixes it owns (digits only).
	GS1Prefixes map[string][]string `json:"gs1Prefixes"`
	// Version counts the map's writes: 1 for the first, each change one more.
	Version int `json:"version"`
}

// Key returns the map's state key: the composite key of [ObjectType] with no attribute.
func Key() string {
	k, _ := shim.CreateCompositeKey(ObjectType, nil) // a constant, valid object type: never fails
	return k
}

// Allows reports whether the map grants role to the organisation mspID. A nil map grants nothing.
func (m *Map) Allows(role, mspID string) bool {
	if m == nil {
		return false
	}
	return slices.Contains(m.Roles[role], mspID)
}

// OrgsFor returns the MSP ids entitled to role, sorted (a copy).
func (m *Map) OrgsFor(role string) []string {
	if m == nil {
		return nil
	}
	out := slices.Clone(m.Roles[role])
	slices.Sort(out)
	return out
}

// OwnsGTIN reports whether gtin14, a GTIN-14 (14 digits: an indicator digit, then the company
// prefix, the item reference and a check digit), starts, after its indicator digit, with one of the
// company prefixes of mspID. A malformed GTIN belongs to nobody.
func (m *Map) OwnsGTIN(mspID, gtin14 string) bool {
	if m == nil || len(gtin14) != 14 || !digits(gtin14) {
		return false
	}
	for _, p := range m.GS1Prefixes[mspID] {
		if strings.HasPrefix(gtin14[1:], p) {
			return true
		}
	}
	return false
}

// Orgs returns every MSP id the map names, in a role or with a prefix, sorted and without repeats.
func (m *Map) Orgs() []string {
	if m == nil {
		return nil
	}
	var out []string
	for _, orgs := range m.Roles {
		out = append(out, orgs...)
	}
	for org := range m.GS1Prefixes {
		out = append(out, org)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Equal reports whether two maps grant the same roles and prefixes, whatever the order of their
// lists; versions are not compared.
func (m *Map) Equal(o *Map) bool {
	if m == nil || o == nil {
		return m == o
	}
	return sameSets(m.Roles, o.Roles) && sameSets(m.GS1Prefixes, o.GS1Prefixes)
}

func sameSets(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok {
			return false
		}
		x, y := slices.Clone(av), slices.Clone(bv)
		slices.Sort(x)
		slices.Sort(y)
		if !slices.Equal(slices.Compact(x), slices.Compact(y)) {
			return false
		}
	}
	return true
}

// Validate checks a map strictly, with INVALID_ARGUMENT naming the first fault: known roles only,
// each with at least one well-formed MSP id and no repeat; prefixes of 6 to 12 digits, under
// well-formed MSP ids, none owned twice and none the start of another organisation's prefix (a GTIN
// would then belong to two organisations); a version of at least 1; at most [MaxOrgs] organisations.
func (m *Map) Validate() error {
	if m == nil {
		return codes.New(codes.InvalidArgument, "the consortium map is missing")
	}
	if m.Version < 1 {
		return codes.New(codes.InvalidArgument, "the consortium map's version %d is not positive", m.Version)
	}
	if len(m.Roles) == 0 {
		return codes.New(codes.InvalidArgument, "the consortium map grants no role")
	}
	known := wire.Roles()
	for role, orgs := range m.Roles {
		if !slices.Contains(known, role) {
			return codes.New(codes.InvalidArgument, "the consortium map names role %s, which is not one of %v", wire.Quote(role), known)
		}
		if len(orgs) == 0 {
			return codes.New(codes.InvalidArgument, "role %s lists no organisation: leave it out instead", role)
		}
		if len(orgs) > MaxOrgs {
			return codes.New(codes.InvalidArgument, "role %s lists %d organisations, more than %d", role, len(orgs), MaxOrgs)
		}
		seen := map[string]bool{}
		for _, org := range orgs {
			if err := wire.CheckMSPID(org); err != nil {
				return err
			}
			if seen[org] {
				return codes.New(codes.InvalidArgument, "role %s lists %s twice", role, org)
			}
			seen[org] = true
		}
	}
	owner := map[string]string{} // prefix -> org
	for org, prefixes := range m.GS1Prefixes {
		if err := wire.CheckMSPID(org); err != nil {
			return err
		}
		if len(prefixes) == 0 {
			return codes.New(codes.InvalidArgument, "%s lists no GS1 prefix: leave it out instead", org)
		}
		if len(prefixes) > MaxPrefixes {
			return codes.New(codes.InvalidArgument, "%s lists %d GS1 prefixes, more than %d", org, len(prefixes), MaxPrefixes)
		}
		for _, p := range prefixes {
			if len(p) < MinPrefixDigit || len(p) > MaxPrefixDigit || !digits(p) {
				return codes.New(codes.InvalidArgument, "GS1 company prefix %s of %s is not %d to %d digits", wire.Quote(p), org, MinPrefixDigit, MaxPrefixDigit)
			}
			if other, ok := owner[p]; ok {
				if other == org {
					return codes.New(codes.InvalidArgument, "%s lists GS1 prefix %s twice", org, p)
				}
				return codes.New(codes.InvalidArgument, "GS1 prefix %s is given to both %s and %s", p, other, org)
			}
			owner[p] = org
		}
	}
	for p, org := range owner {
		for q, other := range owner {
			if p != q && org != other && strings.HasPrefix(q, p) {
				return codes.New(codes.InvalidArgument, "GS1 prefix %s of %s starts prefix %s of %s: a GTIN would belong to both", p, org, q, other)
			}
		}
	}
	if n := len(m.Orgs()); n > MaxOrgs {
		return codes.New(codes.InvalidArgument, "the consortium map names %d organisations, more than %d", n, MaxOrgs)
	}
	return nil
}

// Parse decodes a map strictly (one JSON object, no unknown field) and validates it.
func Parse(raw []byte) (*Map, error) {
	if len(raw) > MaxMapBytes {
		return nil, codes.New(codes.InvalidArgument, "the consortium map has %d bytes, more than %d", len(raw), MaxMapBytes)
	}
	var m Map
	if err := wire.DecodeStrict("the consortium map", raw, &m); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Cache holds the map read by one transaction. A transaction context that offers one (see
// [Cacher]) lets [Load] read the state at most once per transaction.
type Cache struct {
	loaded bool
	m      *Map
}

// Cacher is a transaction context that keeps a [Cache] for the transaction's life. ccutil's
// transaction context is one.
type Cacher interface {
	OrgRoles() *Cache
}

// Load returns the map of this chaincode's namespace: this transaction's write if it made one, else
// the committed map, read once per transaction when ctx is a [Cacher]. The caller must not modify
// it. A namespace without a map fails closed with PRECONDITION_FAILED.
func Load(ctx txstate.Context) (*Map, error) {
	var cache *Cache
	if c, ok := ctx.(Cacher); ok {
		cache = c.OrgRoles()
	}
	if cache != nil && cache.loaded {
		return present(cache.m)
	}
	raw, err := ctx.State().Get(Key())
	if err != nil {
		return nil, err
	}
	m, err := decode(raw)
	if err != nil {
		return nil, err
	}
	if cache != nil {
		cache.loaded, cache.m = true, m
	}
	return present(m)
}

// LoadStub reads the committed map straight from stub, with no cache: for callers that hold no
// txstate.Context.
func LoadStub(stub shim.ChaincodeStubInterface) (*Map, error) {
	raw, err := stub.GetState(Key())
	if err != nil {
		return nil, codes.New(codes.Internal, "reading the consortium map: %v", err)
	}
	m, err := decode(raw)
	if err != nil {
		return nil, err
	}
	return present(m)
}

// Remember records m, just written by this transaction, in ctx's cache.
func Remember(ctx txstate.Context, m *Map) {
	if c, ok := ctx.(Cacher); ok {
		if cache := c.OrgRoles(); cache != nil {
			cache.loaded, cache.m = true, m
		}
	}
}

func decode(raw []byte) (*Map, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var m Map
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, codes.New(codes.Internal, "decoding the consortium map: %v", err)
	}
	return &m, nil
}

func present(m *Map) (*Map, error) {
	if m == nil {
		return nil, codes.New(codes.PreconditionFailed, "this chaincode holds no consortium map: deploy writes it with SetConsortium, and until then every role is refused")
	}
	return m, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
