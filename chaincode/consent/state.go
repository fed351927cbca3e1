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

// patientBinding ties a patient id to the MSP whose CA issued the patient's certificate, on the
// patient's first write (trust on first use): a certificate with the same subject from another MSP is
// not that patient.
type patientBinding struct {
	Patient string    `json:"patient"`
	MSPID   string    `json:"mspId"`
	BoundAt time.Time `json:"boundAt"`
}

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

// relationTo tells whether the caller is the patient (with a certificate of the patient's bound MSP),
// one of the patient's delegates, or neither.
func relationTo(ctx txstate.Context, c ccutil.Caller, patient string) (relation, error) {
	if c.Role == wire.RolePatient && c.Subject == patient {
		b, found, err := bindingOf(ctx, patient)
		if err != nil {
			return relNone, err
		}
		if !found || b.MSPID == c.MSPID {
			return relSelf, nil
		}
	}
	key, err := ctx.State().Key(objDelegate, patient, c.MSPID, c.Subject)
	if err != nil {
		return relNone, err
	}
	raw, err := ctx.State().Get(key)
	if err != nil {
		return relNone, err
	}
	if raw != nil {
		return relDelegate, nil
	}
	return relNone, nil
}

// requireManager returns how the caller may manage patient's consents, or FORBIDDEN unless it is the
// patient or a recorded delegate.
func requireManager(ctx txstate.Context, c ccutil.Caller, patient, action string) (relation, error) {
	rel, err := relationTo(ctx, c, patient)
	if err != nil {
		return relNone, err
	}
	if rel == relNone {
		return relNone, codes.New(codes.Forbidden, "%s: %s is neither patient %s nor a delegate of that patient", action, partyOf(c), patient)
	}
	return rel, nil
}

// requireOwnerOrAuditor returns FORBIDDEN unless the caller is the patient, a delegate or an auditor.
func requireOwnerOrAuditor(ctx txstate.Context, c ccutil.Caller, patient, action string) error {
	if c.Role == wire.RoleAuditor {
		return nil
	}
	rel, err := relationTo(ctx, c, patient)
	if err != nil {
		return err
	}
	if rel == relNone {
		return codes.New(codes.Forbidden, "%s: only patient %s, a delegate of that patient or an auditor may do this; caller is %s", action, patient, partyOf(c))
	}
	return nil
}

func bindingOf(ctx txstate.Context, patient string) (patientBinding, bool, error) {
	key, err := ctx.State().Key(objPatient, patient)
	if err != nil {
		return patientBinding{}, false, err
	}
	var b patientBinding
	found, err := ctx.State().GetJSON(key, &b)
	return b, found, err
}

// bind records the patient's MSP on the patient's first write.
func bind(ctx txstate.Context, c ccutil.Caller, rel relation, now time.Time) error {
	if rel != relSelf {
		return nil
	}
	_, found, err := bindingOf(ctx, c.Subject)
	if err != nil || found {
		return err
	}
	key, err := ctx.State().Key(objPatient, c.Subject)
	if err != nil {
		return err
	}
	return ctx.State().PutJSON(key, patientBinding{Patient: c.Subject, MSPID: c.MSPID, BoundAt: now})
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
