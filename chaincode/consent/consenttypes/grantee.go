package consenttypes

import (
	"slices"
	"strconv"
	"strings"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// The roles a certificate's role attribute can hold (package wire has the one definition).
const (
	RolePatient      = wire.RolePatient
	RoleProvider     = wire.RoleProvider
	RolePharmacist   = wire.RolePharmacist
	RoleManufacturer = wire.RoleManufacturer
	RoleDistributor  = wire.RoleDistributor
	RoleInsurer      = wire.RoleInsurer
	RoleAuditor      = wire.RoleAuditor

	// AnyRole stands for every role in the individual grantee form "<MSPID>/*/<subject>".
	AnyRole = "*"
)

// Roles lists the known roles.
func Roles() []string { return wire.Roles() }

// CheckID returns INVALID_ARGUMENT unless id is a well-formed id; what names it in the message.
func CheckID(what, id string) error { return wire.CheckID(what, id) }

// CheckMSPID returns INVALID_ARGUMENT unless id is a well-formed MSP id.
func CheckMSPID(id string) error { return wire.CheckMSPID(id) }

// Grantee is who a consent is given to, or who asks: a whole organisation ("<MSPID>"), a role within it
// ("<MSPID>/<role>") or one individual ("<MSPID>/<role>/<subject>", role may be "*").
type Grantee struct {
	MSPID   string
	Role    string // empty for the whole organisation
	Subject string // empty for an organisation or a role
}

// ParseGrantee reads the string form of a grantee, or returns INVALID_ARGUMENT.
func ParseGrantee(s string) (Grantee, error) {
	parts := strings.Split(s, "/")
	if len(parts) > 3 {
		return Grantee{}, codes.New(codes.InvalidArgument, "grantee %s is malformed: want <MSPID>, <MSPID>/<role> or <MSPID>/<role>/<subject>", wire.Quote(s))
	}
	g := Grantee{MSPID: parts[0]}
	if len(parts) > 1 {
		g.Role = parts[1]
	}
	if len(parts) > 2 {
		g.Subject = parts[2]
	}
	if msg := g.problem(len(parts)); msg != "" {
		return Grantee{}, codes.New(codes.InvalidArgument, "grantee %s is malformed: %s", wire.Quote(s), msg)
	}
	return g, nil
}

// problem describes what is wrong with a grantee parsed from parts pieces, or returns "".
func (g Grantee) problem(parts int) string {
	switch {
	case !wire.ValidMSPID(g.MSPID):
		return "the MSP id must be 1-64 of [A-Za-z0-9._-], starting with a letter or digit"
	case parts < 2:
		return ""
	case g.Role == AnyRole && parts < 3:
		return "role \"*\" needs a subject"
	case g.Role != AnyRole && !slices.Contains(Roles(), g.Role):
		return "unknown role " + strconv.Quote(g.Role) + ": want one of " + strings.Join(Roles(), ", ") + " (or * with a subject)"
	case parts < 3:
		return ""
	case !wire.ValidID(g.Subject):
		return "the subject must be 1-64 of [A-Za-z0-9._:-], starting with a letter or digit"
	}
	return ""
}

// String returns the wire form of g.
func (g Grantee) String() string {
	switch {
	case g.Subject != "":
		return g.MSPID + "/" + g.Role + "/" + g.Subject
	case g.Role != "":
		return g.MSPID + "/" + g.Role
	default:
		return g.MSPID
	}
}

// Covers reports whether a consent given to g applies to a request for r: the MSP ids are equal, g's
// role (if any) equals r's role, and g's subject (if any) equals r's subject. A consent for a whole
// organisation covers every role and individual in it; a consent whose role is "*" covers the named
// individual in any role. A request for a whole organisation is covered only by an organisation-wide
// consent.
func (g Grantee) Covers(r Grantee) bool {
	if g.MSPID != r.MSPID {
		return false
	}
	if g.Role != "" && g.Role != AnyRole && g.Role != r.Role {
		return false
	}
	if g.Role == AnyRole && r.Role == "" {
		return false
	}
	return g.Subject == "" || g.Subject == r.Subject
}

// Check validates g and returns its string form, or INVALID_ARGUMENT.
func (g Grantee) Check() (string, error) {
	if g.Role == "" && g.Subject != "" {
		return "", codes.New(codes.InvalidArgument, "grantee %s has a subject but no role: use role %q for any role", g.MSPID, AnyRole)
	}
	s := g.String()
	if _, err := ParseGrantee(s); err != nil {
		return "", err
	}
	return s, nil
}
