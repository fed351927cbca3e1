// Package consentclient is the typed client of the healthledger consent chaincode: one method per
// transaction, context first, results as the wire types of package consenttypes.
//
// It checks its input locally where that is cheap (the same validation the chaincode runs), so an
// obviously bad request fails with an error matching gatewayclient.ErrInvalidArgument without a round
// trip; the chaincode stays the authority. Queries are evaluated, state changes submitted.
// RegisterRecord passes the record's private details as transient data and asks the caller's own
// organisation to endorse, so the details reach no peer outside its private data collection.
//
//	c, err := net.Connect(ctx, "patient1")
//	consents := consentclient.New(c)
//	granted, err := consents.Grant(ctx, consenttypes.Consent{ID: "c-17", Patient: "pat-7f3a9c21", ...})
package consentclient

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	ct "github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	gw "github.com/healthledger/healthledger/gateway-client"
)

// Chaincode is the name of the consent chaincode on the channel.
const Chaincode = "consent"

// Client calls the consent chaincode as one identity.
type Client struct {
	c *gw.Client
	k *gw.Contract
}

// New returns a consent client over c.
func New(c *gw.Client) *Client {
	return &Client{c: c, k: c.Contract(Chaincode)}
}

// Grant records a new consent. The chaincode sets status, version, grantor and timestamps. A consent
// id already granted with the same terms fails with ErrDuplicate, with other terms with ErrConflict.
func (c *Client) Grant(ctx context.Context, consent ct.Consent) (*ct.Consent, error) {
	doc, err := consentDoc("Grant", consent)
	if err != nil {
		return nil, err
	}
	return gw.SubmitJSON[ct.Consent](ctx, c.k, "Grant", []string{doc})
}

// Update replaces the terms of an active consent and bumps its version. A non-zero consent.Version
// must equal the current version (ErrConflict otherwise).
func (c *Client) Update(ctx context.Context, consent ct.Consent) (*ct.Consent, error) {
	doc, err := consentDoc("Update", consent)
	if err != nil {
		return nil, err
	}
	return gw.SubmitJSON[ct.Consent](ctx, c.k, "Update", []string{doc})
}

// Revoke ends a consent from the next transaction on. The reason is public: never put PHI in it.
func (c *Client) Revoke(ctx context.Context, consentID, reason string) (*ct.Consent, error) {
	if err := local("Revoke", ct.CheckID("consent id", consentID), ct.CheckReason(reason)); err != nil {
		return nil, err
	}
	return gw.SubmitJSON[ct.Consent](ctx, c.k, "Revoke", []string{consentID, reason})
}

// GetConsent returns the current version of a consent.
func (c *Client) GetConsent(ctx context.Context, consentID string) (*ct.Consent, error) {
	if err := local("GetConsent", ct.CheckID("consent id", consentID)); err != nil {
		return nil, err
	}
	return gw.EvaluateJSON[ct.Consent](ctx, c.k, "GetConsent", []string{consentID})
}

// ConsentHistory returns every version of a consent, oldest first.
func (c *Client) ConsentHistory(ctx context.Context, consentID string) ([]ct.ConsentVersion, error) {
	if err := local("ConsentHistory", ct.CheckID("consent id", consentID)); err != nil {
		return nil, err
	}
	h, err := gw.EvaluateJSON[[]ct.ConsentVersion](ctx, c.k, "ConsentHistory", []string{consentID})
	if err != nil {
		return nil, err
	}
	return nonNil(*h), nil
}

// ListConsentsByPatient returns one page of a patient's consents. pageSize 0 means the chaincode's
// default; pass the returned bookmark to get the next page ("" when there is none).
func (c *Client) ListConsentsByPatient(ctx context.Context, patient string, pageSize int, bookmark string) (*ct.ConsentPage, error) {
	if err := local("ListConsentsByPatient", ct.CheckID("patient", patient)); err != nil {
		return nil, err
	}
	p, err := gw.EvaluateJSON[ct.ConsentPage](ctx, c.k, "ListConsentsByPatient", []string{patient, strconv.Itoa(pageSize), bookmark})
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

// ListConsentsByGrantee returns one page of the consents naming grantee or narrower.
func (c *Client) ListConsentsByGrantee(ctx context.Context, grantee ct.Grantee, pageSize int, bookmark string) (*ct.ConsentPage, error) {
	g, err := grantee.Check()
	if err := local("ListConsentsByGrantee", err); err != nil {
		return nil, err
	}
	p, err := gw.EvaluateJSON[ct.ConsentPage](ctx, c.k, "ListConsentsByGrantee", []string{g, strconv.Itoa(pageSize), bookmark})
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

// CheckAccess asks whether grantee may do action for purpose on class of patient now.
func (c *Client) CheckAccess(ctx context.Context, patient string, grantee ct.Grantee, action ct.Action, purpose ct.Purpose, class ct.DataClass) (*ct.Decision, error) {
	g, gerr := grantee.Check()
	_, aerr := ct.CheckAction(string(action))
	_, perr := ct.CheckPurpose(string(purpose))
	_, kerr := ct.CheckDataClass(string(class))
	if err := local("CheckAccess", ct.CheckID("patient", patient), gerr, aerr, perr, kerr); err != nil {
		return nil, err
	}
	d, err := gw.EvaluateJSON[ct.Decision](ctx, c.k, "CheckAccess", []string{patient, g, string(action), string(purpose), string(class)})
	if err != nil {
		return nil, err
	}
	d.ConsentIDs = nonNil(d.ConsentIDs)
	return d, nil
}

// RecordAccess logs that the caller reads class of patient for purpose (record recordID). It fails
// with ErrForbidden, logging nothing, unless a consent permits it.
func (c *Client) RecordAccess(ctx context.Context, patient string, class ct.DataClass, purpose ct.Purpose, recordID string) (*ct.AccessEntry, error) {
	_, kerr := ct.CheckDataClass(string(class))
	_, perr := ct.CheckPurpose(string(purpose))
	if err := local("RecordAccess", ct.CheckID("patient", patient), kerr, perr, ct.CheckID("record id", recordID)); err != nil {
		return nil, err
	}
	return gw.SubmitJSON[ct.AccessEntry](ctx, c.k, "RecordAccess", []string{patient, string(class), string(purpose), recordID})
}

// ListAccessLog returns one page of a patient's access log, newest first.
func (c *Client) ListAccessLog(ctx context.Context, patient string, pageSize int, bookmark string) (*ct.AccessLogPage, error) {
	if err := local("ListAccessLog", ct.CheckID("patient", patient)); err != nil {
		return nil, err
	}
	p, err := gw.EvaluateJSON[ct.AccessLogPage](ctx, c.k, "ListAccessLog", []string{patient, strconv.Itoa(pageSize), bookmark})
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

// AddDelegate lets the calling patient record a delegate (a guardian): the identity of MSP mspID
// whose certificate carries subject, whatever its role.
func (c *Client) AddDelegate(ctx context.Context, subject, mspID string) (*ct.Delegate, error) {
	if err := local("AddDelegate", ct.CheckID("delegate subject", subject), ct.CheckMSPID(mspID)); err != nil {
		return nil, err
	}
	return gw.SubmitJSON[ct.Delegate](ctx, c.k, "AddDelegate", []string{subject, mspID})
}

// RemoveDelegate lets the calling patient remove a delegate.
func (c *Client) RemoveDelegate(ctx context.Context, subject, mspID string) error {
	if err := local("RemoveDelegate", ct.CheckID("delegate subject", subject), ct.CheckMSPID(mspID)); err != nil {
		return err
	}
	_, err := c.k.Submit(ctx, "RemoveDelegate", []string{subject, mspID})
	return err
}

// ListDelegates returns one page of a patient's delegates.
func (c *Client) ListDelegates(ctx context.Context, patient string, pageSize int, bookmark string) (*ct.DelegatePage, error) {
	if err := local("ListDelegates", ct.CheckID("patient", patient)); err != nil {
		return nil, err
	}
	p, err := gw.EvaluateJSON[ct.DelegatePage](ctx, c.k, "ListDelegates", []string{patient, strconv.Itoa(pageSize), bookmark})
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

// RegisterRequest describes a health record to anchor. Details are protected health information: they
// travel as transient data and land only in the registering organisation's private collection.
type RegisterRequest struct {
	RecordID  string
	Patient   string
	DataClass ct.DataClass
	// SHA256 is the hex SHA-256 of the off-chain document (see Digest).
	SHA256  string
	Details ct.RecordDetails
}

// RegisterRecord anchors a record. When Details.Salt is empty it adds a random one, so that the hash of
// the private value, which the block carries, cannot confirm a guessed URI. It asks the caller's own
// organisation to endorse.
func (c *Client) RegisterRecord(ctx context.Context, req RegisterRequest) (*ct.Record, error) {
	_, kerr := ct.CheckDataClass(string(req.DataClass))
	sum, herr := ct.CheckSHA256(req.SHA256)
	if err := local("RegisterRecord", ct.CheckID("record id", req.RecordID), ct.CheckID("patient", req.Patient), kerr, herr, req.Details.Validate()); err != nil {
		return nil, err
	}
	details := req.Details
	if details.Salt == "" {
		salt, err := newSalt()
		if err != nil {
			return nil, fmt.Errorf("consent.RegisterRecord: %w", err)
		}
		details.Salt = salt
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return nil, fmt.Errorf("consent.RegisterRecord: encode the details: %w", err)
	}
	opts := []gw.CallOption{gw.WithTransient(map[string][]byte{ct.TransientRecord: raw})}
	if msp := c.c.Identity().MSPID; msp != "" {
		opts = append(opts, gw.WithEndorsingOrgs(msp))
	}
	return gw.SubmitJSON[ct.Record](ctx, c.k, "RegisterRecord", []string{req.RecordID, req.Patient, string(req.DataClass), sum}, opts...)
}

// VerifyRecord tells whether a document with the given hex SHA-256 matches record recordID.
func (c *Client) VerifyRecord(ctx context.Context, recordID, sha256hex string) (*ct.Verification, error) {
	sum, herr := ct.CheckSHA256(sha256hex)
	if err := local("VerifyRecord", ct.CheckID("record id", recordID), herr); err != nil {
		return nil, err
	}
	return gw.EvaluateJSON[ct.Verification](ctx, c.k, "VerifyRecord", []string{recordID, sum})
}

// VerifyDocument hashes document and verifies it against record recordID.
func (c *Client) VerifyDocument(ctx context.Context, recordID string, document []byte) (*ct.Verification, error) {
	return c.VerifyRecord(ctx, recordID, Digest(document))
}

// GetRecord returns a record's public anchor.
func (c *Client) GetRecord(ctx context.Context, recordID string) (*ct.Record, error) {
	if err := local("GetRecord", ct.CheckID("record id", recordID)); err != nil {
		return nil, err
	}
	return gw.EvaluateJSON[ct.Record](ctx, c.k, "GetRecord", []string{recordID})
}

// RecordHistory returns every version of a record's anchor, oldest first.
func (c *Client) RecordHistory(ctx context.Context, recordID string) ([]ct.RecordVersion, error) {
	if err := local("RecordHistory", ct.CheckID("record id", recordID)); err != nil {
		return nil, err
	}
	h, err := gw.EvaluateJSON[[]ct.RecordVersion](ctx, c.k, "RecordHistory", []string{recordID})
	if err != nil {
		return nil, err
	}
	return nonNil(*h), nil
}

// GetRecordDetails returns a record's private location and description. It is always evaluated, never
// submitted: a submitted answer would be written into a block.
func (c *Client) GetRecordDetails(ctx context.Context, recordID string) (*ct.RecordDetailsView, error) {
	if err := local("GetRecordDetails", ct.CheckID("record id", recordID)); err != nil {
		return nil, err
	}
	return gw.EvaluateJSON[ct.RecordDetailsView](ctx, c.k, "GetRecordDetails", []string{recordID})
}

// ListRecordsByPatient returns one page of a patient's record anchors.
func (c *Client) ListRecordsByPatient(ctx context.Context, patient string, pageSize int, bookmark string) (*ct.RecordPage, error) {
	if err := local("ListRecordsByPatient", ct.CheckID("patient", patient)); err != nil {
		return nil, err
	}
	p, err := gw.EvaluateJSON[ct.RecordPage](ctx, c.k, "ListRecordsByPatient", []string{patient, strconv.Itoa(pageSize), bookmark})
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

// RequestErasure asks the custodian to erase a record's private details. The reason is public.
func (c *Client) RequestErasure(ctx context.Context, recordID, reason string) (*ct.Record, error) {
	if err := local("RequestErasure", ct.CheckID("record id", recordID), ct.CheckReason(reason)); err != nil {
		return nil, err
	}
	return gw.SubmitJSON[ct.Record](ctx, c.k, "RequestErasure", []string{recordID, reason})
}

// EraseRecord purges a record's private details; the hash stays. The reason is public.
func (c *Client) EraseRecord(ctx context.Context, recordID, reason string) (*ct.Record, error) {
	if err := local("EraseRecord", ct.CheckID("record id", recordID), ct.CheckReason(reason)); err != nil {
		return nil, err
	}
	return gw.SubmitJSON[ct.Record](ctx, c.k, "EraseRecord", []string{recordID, reason})
}

// Digest returns the lowercase hex SHA-256 of a document, the form RegisterRecord and VerifyRecord take.
func Digest(document []byte) string {
	sum := sha256.Sum256(document)
	return hex.EncodeToString(sum[:])
}

// DecodeEvent decodes a consent chaincode event into its typed payload: *consenttypes.ConsentEvent,
// *AccessEvent, *RecordEvent or *DelegateEvent, chosen by the event's name.
func DecodeEvent(e gw.ChaincodeEvent) (any, error) {
	switch e.Name {
	case ct.EventConsentGranted, ct.EventConsentUpdated, ct.EventConsentRevoked:
		return gw.DecodeEvent[ct.ConsentEvent](e)
	case ct.EventAccessRecorded:
		return gw.DecodeEvent[ct.AccessEvent](e)
	case ct.EventRecordRegistered, ct.EventErasureRequested, ct.EventRecordErased:
		return gw.DecodeEvent[ct.RecordEvent](e)
	case ct.EventDelegateAdded, ct.EventDelegateRemoved:
		return gw.DecodeEvent[ct.DelegateEvent](e)
	}
	return nil, fmt.Errorf("consent event %q (tx %s): unknown event name", e.Name, e.TransactionID)
}

// consentDoc normalizes, checks and encodes a consent.
func consentDoc(fn string, consent ct.Consent) (string, error) {
	consent.Normalize()
	if err := local(fn, consent.Validate()); err != nil {
		return "", err
	}
	raw, err := json.Marshal(consent)
	if err != nil {
		return "", fmt.Errorf("consent.%s: encode the consent: %w", fn, err)
	}
	return string(raw), nil
}

// local returns the first non-nil error of errs as a failure of fn that matches both
// gatewayclient.ErrInvalidArgument and the *codes.Error underneath.
func local(fn string, errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("consent.%s: %w: %w", fn, gw.ErrInvalidArgument, err)
		}
	}
	return nil
}

func newSalt() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("draw a salt: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
