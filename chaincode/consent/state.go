package consent

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// The composite-key object types: the key layout of docs/consent.md.
const (
	objConsent           = "consent"    // (id) -> Consent
	objConsentByPatGrOrg = "consent~pg" // (patient, grantee MSP, id) -> Consent copy; active consents only
	objConsentByPatient  = "consent~p"  // (patient, id) -> marker; every consent
	objConsentByGrantee  = "consent~g"  // (grantee MSP, role, subject, id) -> marker; every consent
	objPatient           = "patient"    // (patient) -> patientBinding
	objDelegate          = "delegate"   // (patient, MSP, subject) -> Delegate
	objAccess            = "access"     // (patient, inverted time, tx id, record id) -> AccessEntry
	objRecord            = "record"     // (record id) -> Record
	objRecordByPatient   = "record~p"   // (patient, record id) -> marker
)

// relation is how the caller stands to a patient.
type relation int

const (
	relNone     relation = iota
	relSelf              // the patient
	relDelegate          // a delegate the patient recorded
)

// callerOf returns the caller, or FORBIDDEN when its certificate lacks the role or subject attribute.
func callerOf(ctx txstate.Context, action string) (ccutil.Caller, error) {
	c, err := ccutil.CallerOf(ctx)
	if err != nil {
		return ccutil.Caller{}, err
	}
	if c.Role == "" || c.Subject == "" {
		return ccutil.Caller{}, codes.New(codes.Forbidden, "%s needs a certificate with the role and subject attributes; caller of %s has role %q", action, c.MSPID, c.Role)
	}
	return c, nil
}

// partyOf is the caller in grantee form: "<MSPID>/<role>/<subject>".
func partyOf(c ccutil.Caller) string {
	return consenttypes.Grantee{MSPID: c.MSPID, Role: c.Role, Subject: c.Subject}.String()
}

// granteeOf is the caller as a requesting grantee.
func granteeOf(c ccutil.Caller) consenttypes.Grantee {
	return consenttypes.Grantee{MSPID: c.MSPID, Role: c.Role, Subject: c.Subject}
}

// relationTo tells whether the caller is the patient (a patient certificate with the patient's id
// whose public key is the one the patient registered), one of the patient's delegates, or neither.
// A caller that presents the patient's id but is not accepted as the patient (unregistered, or
// another key) gets relNone and a reason for the refusal, which is also written to the chaincode
// server's log.
func (s *Contract) relationTo(ctx txstate.Context, c ccutil.Caller, patient, action string) (relation, string, error) {
	if c.Role == wire.RolePatient && c.Subject == patient {
		why, err := s.checkSelf(ctx, c, patient, action)
		if err != nil {
			return relNone, "", err
		}
		if why == "" {
			return relSelf, "", nil
		}
		return relNone, why, nil
	}
	key, err := ctx.State().Key(objDelegate, patient, c.MSPID, c.Subject)
	if err != nil {
		return relNone, "", err
	}
	raw, err := ctx.State().Get(key)
	if err != nil {
		return relNone, "", err
	}
	if raw != nil {
		return relDelegate, "", nil
	}
	return relNone, "", nil
}

// requireManager returns how the caller may manage patient's consents, or FORBIDDEN unless it is the
// registered patient (with the pinned key) or a recorded delegate.
func (s *Contract) requireManager(ctx txstate.Context, c ccutil.Caller, patient, action string) (relation, error) {
	rel, why, err := s.relationTo(ctx, c, patient, action)
	if err != nil {
		return relNone, err
	}
	if why != "" {
		return relNone, codes.New(codes.Forbidden, "%s: %s", action, why)
	}
	if rel == relNone {
		return relNone, codes.New(codes.Forbidden, "%s: %s is neither patient %s nor a delegate of that patient", action, partyOf(c), patient)
	}
	return rel, nil
}

// requireOwnerOrAuditor returns FORBIDDEN unless the caller is the patient, a delegate or an auditor.
func (s *Contract) requireOwnerOrAuditor(ctx txstate.Context, c ccutil.Caller, patient, action string) error {
	if c.Role == wire.RoleAuditor {
		return nil
	}
	rel, why, err := s.relationTo(ctx, c, patient, action)
	if err != nil {
		return err
	}
	if why != "" {
		return codes.New(codes.Forbidden, "%s: %s", action, why)
	}
	if rel == relNone {
		return codes.New(codes.Forbidden, "%s: only patient %s, a delegate of that patient or an auditor may do this; caller is %s", action, patient, partyOf(c))
	}
	return nil
}

// putMarker writes an index entry.
func putMarker(ctx txstate.Context, objectType string, attrs ...string) error {
	key, err := ctx.State().Key(objectType, attrs...)
	if err != nil {
		return err
	}
	ctx.State().PutMarker(key)
	return nil
}

// delKey deletes a composite key.
func delKey(ctx txstate.Context, objectType string, attrs ...string) error {
	key, err := ctx.State().Key(objectType, attrs...)
	if err != nil {
		return err
	}
	ctx.State().Del(key)
	return nil
}

// invertedTime sorts newer times first: a fixed-width decimal of MaxInt64 minus the Unix nanoseconds.
func invertedTime(t time.Time) string {
	return fmt.Sprintf("%019d", math.MaxInt64-t.UnixNano())
}

// listPage reads one page of a partial composite key. Unlike a bare pass-through, it refuses a
// bookmark that does not lie inside the queried prefix: on a peer the bookmark replaces the start key
// unchecked, so a forged bookmark could otherwise read another patient's entries.
func listPage[T any](ctx txstate.Context, objectType string, attrs []string, pageSize int, bookmark string, decode func(key string, value []byte) (T, error)) (*ccutil.Page[T], error) {
	if bookmark != "" {
		prefix, err := ctx.State().Key(objectType, attrs...)
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(bookmark, prefix) {
			return nil, codes.New(codes.InvalidArgument, "the bookmark does not belong to this query")
		}
	}
	return ccutil.ListByPartialKey(ctx, objectType, attrs, pageSize, bookmark, decode)
}

// lastAttr returns the last attribute of a composite key.
func lastAttr(ctx txstate.Context, key string) (string, error) {
	_, attrs, err := ctx.GetStub().SplitCompositeKey(key)
	if err != nil || len(attrs) == 0 {
		return "", codes.New(codes.Internal, "splitting index key %q: %v", key, err)
	}
	return attrs[len(attrs)-1], nil
}
