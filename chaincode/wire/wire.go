// Package wire holds the vocabulary and value checks that every healthledger chaincode and its
// types package share: the roles a certificate can carry, and the shape of ids and MSP ids. Like
// package codes, it imports neither the chaincode shim nor the gateway, so contracts, wire-type
// packages and the SDK all use one definition.
package wire

import (
	"regexp"

	"github.com/healthledger/healthledger/chaincode/codes"
)

// The roles a certificate's role attribute can hold. Contracts decide from these, never from
// arguments.
const (
	RolePatient      = "patient"
	RoleProvider     = "provider"
	RolePharmacist   = "pharmacist"
	RoleManufacturer = "manufacturer"
	RoleDistributor  = "distributor"
	RoleInsurer      = "insurer"
	RoleAuditor      = "auditor"
)

// Roles lists the known roles.
func Roles() []string {
	return []string{RolePatient, RoleProvider, RolePharmacist, RoleManufacturer, RoleDistributor, RoleInsurer, RoleAuditor}
}

var (
	// idPattern is a client-chosen id or a subject id: 1 to 64 of [A-Za-z0-9._:-], starting with a
	// letter or digit. It keeps ids safe inside composite keys and log lines.
	idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)
	// mspPattern is an MSP id: like an id, without ':' (and without '/', which separates the parts
	// of a consent grantee).
	mspPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// ValidID reports whether id is a well-formed id.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ValidMSPID reports whether id is a well-formed MSP id.
func ValidMSPID(id string) bool { return mspPattern.MatchString(id) }

// CheckID returns INVALID_ARGUMENT unless id is a well-formed id; what names it in the message.
func CheckID(what, id string) error {
	if !ValidID(id) {
		return codes.New(codes.InvalidArgument, "%s %q is malformed: want 1-64 of [A-Za-z0-9._:-], starting with a letter or digit", what, id)
	}
	return nil
}

// CheckMSPID returns INVALID_ARGUMENT unless id is a well-formed MSP id.
func CheckMSPID(id string) error {
	if !ValidMSPID(id) {
		return codes.New(codes.InvalidArgument, "MSP id %q is malformed: want 1-64 of [A-Za-z0-9._-], starting with a letter or digit", id)
	}
	return nil
}
