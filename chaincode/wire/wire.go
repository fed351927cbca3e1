// Package wire holds the vocabulary and value checks that every healthledger chaincode and its
// types package share: the roles a certificate can carry, and the shape of ids and MSP ids. Like
// package codes, it imports neither the chaincode shim nor the gateway, so contracts, wire-type
// packages and the SDK all use one definition.
package wire

import (
	"regexp"
	"strconv"
	"unicode/utf8"

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

// CheckID returns INVALID_ARGUMENT unless id is a well-formed id; what names it in the message, which
// quotes at most the first 64 bytes of id. Use it for public input only: it repeats the id.
func CheckID(what, id string) error {
	if !ValidID(id) {
		return codes.New(codes.InvalidArgument, "%s %s is malformed: want 1-64 of [A-Za-z0-9._:-], starting with a letter or digit", what, Quote(id))
	}
	return nil
}

// CheckMSPID returns INVALID_ARGUMENT unless id is a well-formed MSP id. Its message quotes at most
// the first 64 bytes of id.
func CheckMSPID(id string) error {
	if !ValidMSPID(id) {
		return codes.New(codes.InvalidArgument, "MSP id %s is malformed: want 1-64 of [A-Za-z0-9._-], starting with a letter or digit", Quote(id))
	}
	return nil
}

// maxQuoted bounds how much of a value a message repeats.
const maxQuoted = 64

// Quote quotes s for a message (as %q does), cut after its first 64 bytes, with "..." after the
// closing quote when it was cut: a refusal repeats enough of a malformed value to find it, and never
// a whole document.
func Quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}
