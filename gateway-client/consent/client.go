// Package consent is the typed client of the healthledger consent chaincode: one method per
// transaction, context first, results as the wire types of package consenttypes.
//
// It checks its input locally where that is cheap (the same validation the chaincode runs), so an
// obviously bad request fails with an error matching sdk.ErrInvalidArgument without a round
// trip; the chaincode stays the authority. Queries are evaluated, state changes submitted.
// RegisterRecord anchors the record (endorsed as the chaincode's policy asks, with only a hash of the
// details), then passes the private details as transient data to PutRecordDetails, endorsed by the
// caller's own organisation only, so the details reach no peer outside its private data collection.
//
//	c, err := net.Connect(ctx, "patient1")
//	consents := consent.New(c)
//	granted, err := consents.Grant(ctx, consenttypes.Consent{ID: "c-17", Patient: "pat-7f3a9c21", ...})
package consent

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// Chaincode is the name of the consent chaincode on the channel.
const Chaincode = "consent"

// Client calls the consent chaincode as one identity.
type Client struct {
	c *sdk.Client
	k *sdk.Contract
}

// New returns a consent client over c.
func New(c *sdk.Client) *Client {
	return &Client{c: c, k: c.Contract(Chaincode)}
}

// Grant records a new consent. The chaincode sets status, version, grantor and timestamps. A consent
// id already granted with the same terms fails with ErrDuplicate, with other terms with ErrConflict.
func (c *Client) Grant(ctx context.Context, consent consenttypes.Consent) (*consenttypes.Consent, error) {
	doc, err := consentDoc("Grant", consent)
	if err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[consenttypes.Consent](ctx, c.k, "Grant", []string{doc})
}

// Update replaces the terms of an active consent and bumps its version. A non-zero consent.Version
// must equal the current version (ErrConflict otherwise).
func (c *Client) Update(ctx context.Context, consent consenttypes.Consent) (*consenttypes.Consent, error) {
	doc, err := consentDoc("Update", consent)
	if err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[consenttypes.Consent](ctx, c.k, "Update", []string{doc})
}

// Revoke ends a consent from the next transaction on. The reason is public: never put PHI in it.
func (c *Client) Revoke(ctx context.Context, consentID, reason string) (*consenttypes.Consent, error) {
	if err := local("Revoke", consenttypes.CheckID("consent id", consentID), consenttypes.CheckReason(reason)); err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[consenttypes.Consent](ctx, c.k, "Revoke", []string{consentID, reason})
}

// GetConsent returns the current version of a consent.
func (c *Client) GetConsent(ctx context.Context, consentID string) (*consenttypes.Consent, error) {
	if err := local("GetConsent", consenttypes.CheckID("consent id", consentID)); err != nil {
		return nil, err
	}
	return sdk.EvaluateJSON[consenttypes.Consent](ctx, c.k, "GetConsent", []string{consentID})
}

// ConsentHistory returns every version of a consent, oldest first.
func (c *Client) ConsentHistory(ctx context.Context, consentID string) ([]consenttypes.ConsentVersion, error) {
	if err := local("ConsentHistory", consenttypes.CheckID("consent id", consentID)); err != nil {
		return nil, err
	}
	h, err := sdk.EvaluateJSON[[]consenttypes.ConsentVersion](ctx, c.k, "ConsentHistory", []string{consentID})
	if err != nil {
		return nil, err
	}
	return nonNil(*h), nil
}

// ListConsentsByPatient returns one page of a patient's consents. pageSize 0 means the chaincode's
// default; pass the returned bookmark to get the next page ("" when there is none).
func (c *Client) ListConsentsByPatient(ctx context.Context, patient string, pageSize int, bookmark string) (*consenttypes.ConsentPage, error) {
	if err := local("ListConsentsByPatient", consenttypes.CheckID("patient", patient)); err != nil {
		return nil, err
	}
	p, err := sdk.EvaluateJSON[consenttypes.ConsentPage](ctx, c.k, "ListConsentsByPatient", []string{patient, strconv.Itoa(pageSize), bookmark})
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

// ListConsentsByGrantee returns one page of the consents naming grantee or narrower.
func (c *Client) ListConsentsByGrantee(ctx context.Context, grantee consenttypes.Grantee, pageSize int, bookmark string) (*consenttypes.ConsentPage, error) {
	g, err := grantee.Check()
	if err := local("ListConsentsByGrantee", err); err != nil {
		return nil, err
	}
	p, err := sdk.EvaluateJSON[consenttypes.ConsentPage](ctx, c.k, "ListConsentsByGrantee", []string{g, strconv.Itoa(pageSize), bookmark})
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

// CheckAccess asks whether grantee may do action for purpose on class of patient now.
func (c *Client) CheckAccess(ctx context.Context, patient string, grantee consenttypes.Grantee, action consenttypes.Action, purpose consenttypes.Purpose, class consenttypes.DataClass) (*consenttypes.Decision, error) {
	g, gerr := grantee.Check()
	_, aerr := consenttypes.CheckAction(string(action))
	_, perr := consenttypes.CheckPurpose(string(purpose))
	_, kerr := consenttypes.CheckDataClass(string(class))
	if err := local("CheckAccess", consenttypes.CheckID("patient", patient), gerr, aerr, perr, kerr); err != nil {
		return nil, err
	}
	d, err := sdk.EvaluateJSON[consenttypes.Decision](ctx, c.k, "CheckAccess", []string{patient, g, string(action), string(purpose), string(class)})
	if err != nil {
		return nil, err
	}
	d.ConsentIDs = nonNil(d.ConsentIDs)
	return d, nil
}

// RecordAccess logs that the caller reads class of patient for purpose (record recordID). It fails
// with ErrForbidden, logging nothing, unless a consent permits it.
func (c *Client) RecordAccess(ctx context.Context, patient string, class consenttypes.DataClass, purpose consenttypes.Purpose, recordID string) (*consenttypes.AccessEntry, error) {
	_, kerr := consenttypes.CheckDataClass(string(class))
	_, perr := consenttypes.CheckPurpose(string(purpose))
	if err := local("RecordAccess", consenttypes.CheckID("patient", patient), kerr, perr, consenttypes.CheckID("record id", recordID)); err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[consenttypes.AccessEntry](ctx, c.k, "RecordAccess", []string{patient, string(class), string(purpose), recordID})
}

// ListAccessLog returns one page of a patient's access log, newest first.
func (c *Client) ListAccessLog(ctx context.Context, patient string, pageSize int, bookmark string) (*consenttypes.AccessLogPage, error) {
	if err := local("ListAccessLog", consenttypes.CheckID("patient", patient)); err != nil {
		return nil, err
	}
	p, err := sdk.EvaluateJSON[consenttypes.AccessLogPage](ctx, c.k, "ListAccessLog", []string{patient, strconv.Itoa(pageSize), bookmark})
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

// AddDelegate lets the calling patient record a delegate (a guardian): the identity of MSP mspID
// whose certificate carries subject, whatever its role.
func (c *Client) AddDelegate(ctx context.Context, subject, mspID string) (*consenttypes.Delegate, error) {
	if err := local("AddDelegate", consenttypes.CheckID("delegate subject", subject), consenttypes.CheckMSPID(mspID)); err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[consenttypes.Delegate](ctx, c.k, "AddDelegate", []string{subject, mspID})
}

// RemoveDelegate lets the calling patient remove a delegate.
func (c *Client) RemoveDelegate(ctx context.Context, subject, mspID string) error {
	if err := local("RemoveDelegate", consenttypes.CheckID("delegate subject", subject), consenttypes.CheckMSPID(mspID)); err != nil {
		return err
	}
	_, err := c.k.Submit(ctx, "RemoveDelegate", []string{subject, mspID})
	return err
}

// ListDelegates returns one page of a patient's delegates.
func (c *Client) ListDelegates(ctx context.Context, patient string, pageSize int, bookmark string) (*consenttypes.DelegatePage, error) {
	if err := local("ListDelegates", consenttypes.CheckID("patient", patient)); err != nil {
		return nil, err
	}
	p, err := sdk.EvaluateJSON[consenttypes.DelegatePage](ctx, c.k, "ListDelegates", []string{patient, strconv.Itoa(pageSize), bookmark})
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
	DataClass consenttypes.DataClass
	// Document is the off-chain document. Its public anchor is its HMAC-SHA256 keyed by Details.Salt
	// (consenttypes.Anchor), so that nobody without the salt can confirm a guessed document.
	Document []byte
	// Details are the record's private details. An empty Salt gets a fresh random one (NewSalt).
	Details consenttypes.RecordDetails
}

// Registration is what RegisterRecord answers: the public anchor, and the salt that keys it. Keep the
// salt with the record: a verifier needs it, with the document, to check the document (VerifyDocument);
// hand it only to those who may read the record.
type Registration struct {
	consenttypes.Record
	Salt string `json:"salt"`
}

// RegisterRecord registers a record in two transactions. First RegisterRecord anchors the document's
// salted anchor, class, patient and the SHA-256 of its encoded details in public state, endorsed as the
// chaincode's policy asks (organisations that do not hold the details see only that hash). Then
// PutRecordDetails stores the details, salt included, in the caller's organisation's collection,
// endorsed by that organisation alone, so the details reach no peer outside the collection. When the
// second step fails the record stays anchored; the error says so, and PutRecordDetails with the same
// details (salt included) completes it.
func (c *Client) RegisterRecord(ctx context.Context, req RegisterRequest) (*Registration, error) {
	details := req.Details
	if details.Salt == "" {
		salt, err := NewSalt()
		if err != nil {
			return nil, fmt.Errorf("consent.RegisterRecord: %w", err)
		}
		details.Salt = salt
	}
	_, kerr := consenttypes.CheckDataClass(string(req.DataClass))
	if err := local("RegisterRecord", consenttypes.CheckID("record id", req.RecordID), consenttypes.CheckID("patient", req.Patient), kerr, details.Validate()); err != nil {
		return nil, err
	}
	anchor, err := consenttypes.Anchor(details.Salt, req.Document)
	if err != nil {
		return nil, local("RegisterRecord", err)
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return nil, fmt.Errorf("consent.RegisterRecord: encode the details: %w", err)
	}
	h := sha256.Sum256(raw)
	rec, err := sdk.SubmitJSON[consenttypes.Record](ctx, c.k, "RegisterRecord", []string{req.RecordID, req.Patient, string(req.DataClass), anchor, hex.EncodeToString(h[:])})
	if err != nil {
		return nil, err
	}
	reg := &Registration{Record: *rec, Salt: details.Salt}
	if err := c.putDetails(ctx, req.RecordID, raw); err != nil {
		return reg, fmt.Errorf("consent.RegisterRecord: record %s is anchored but its details are not stored (call PutRecordDetails with the same details and salt): %w", req.RecordID, err)
	}
	return reg, nil
}

// PutRecordDetails stores the private details of a record already anchored by this organisation
// (RegisterRecord); they must be the details it was anchored with, salt included.
func (c *Client) PutRecordDetails(ctx context.Context, recordID string, details consenttypes.RecordDetails) error {
	if err := local("PutRecordDetails", consenttypes.CheckID("record id", recordID), details.Validate()); err != nil {
		return err
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("consent.PutRecordDetails: encode the details: %w", err)
	}
	return c.putDetails(ctx, recordID, raw)
}

// putDetails submits PutRecordDetails with the encoded details as transient data, endorsed by the
// caller's own organisation only: the collection's member.
func (c *Client) putDetails(ctx context.Context, recordID string, raw []byte) error {
	opts := []sdk.CallOption{sdk.WithTransient(map[string][]byte{consenttypes.TransientRecord: raw})}
	if msp := c.c.Identity().MSPID; msp != "" {
		opts = append(opts, sdk.WithEndorsingOrgs(msp))
	}
	_, err := sdk.SubmitJSON[consenttypes.Record](ctx, c.k, "PutRecordDetails", []string{recordID}, opts...)
	return err
}

// VerifyRecord tells whether anchor (the hex HMAC-SHA256 of a document keyed by the record's salt:
// consenttypes.Anchor) is record recordID's anchor. The caller needs a consortium role. A record that
// does not exist answers mismatch, as a registered one does; erased is told only on a match.
func (c *Client) VerifyRecord(ctx context.Context, recordID, anchor string) (*consenttypes.Verification, error) {
	sum, herr := consenttypes.CheckSHA256(anchor)
	if err := local("VerifyRecord", consenttypes.CheckID("record id", recordID), herr); err != nil {
		return nil, err
	}
	return sdk.EvaluateJSON[consenttypes.Verification](ctx, c.k, "VerifyRecord", []string{recordID, sum})
}

// VerifyDocument computes document's anchor under salt (the record's salt, from whoever handed over
// the record: Registration.Salt at the custodian) and verifies it against record recordID.
func (c *Client) VerifyDocument(ctx context.Context, recordID, salt string, document []byte) (*consenttypes.Verification, error) {
	anchor, err := consenttypes.Anchor(salt, document)
	if err != nil {
		return nil, local("VerifyDocument", err)
	}
	return c.VerifyRecord(ctx, recordID, anchor)
}

// GetRecord returns a record's public anchor.
func (c *Client) GetRecord(ctx context.Context, recordID string) (*consenttypes.Record, error) {
	if err := local("GetRecord", consenttypes.CheckID("record id", recordID)); err != nil {
		return nil, err
	}
	return sdk.EvaluateJSON[consenttypes.Record](ctx, c.k, "GetRecord", []string{recordID})
}

// RecordHistory returns every version of a record's anchor, oldest first.
func (c *Client) RecordHistory(ctx context.Context, recordID string) ([]consenttypes.RecordVersion, error) {
	if err := local("RecordHistory", consenttypes.CheckID("record id", recordID)); err != nil {
		return nil, err
	}
	h, err := sdk.EvaluateJSON[[]consenttypes.RecordVersion](ctx, c.k, "RecordHistory", []string{recordID})
	if err != nil {
		return nil, err
	}
	return nonNil(*h), nil
}

// GetRecordDetails returns a record's private location and description. It is always evaluated, and
// a sealed read (sdk.EvaluateSealed): the chaincode answers under a key drawn for the call, which the
// client opens, so not even a submitted call would write the details into a block.
func (c *Client) GetRecordDetails(ctx context.Context, recordID string) (*consenttypes.RecordDetailsView, error) {
	if err := local("GetRecordDetails", consenttypes.CheckID("record id", recordID)); err != nil {
		return nil, err
	}
	return sdk.EvaluateSealedJSON[consenttypes.RecordDetailsView](ctx, c.k, "GetRecordDetails", []string{recordID})
}

// ListRecordsByPatient returns one page of a patient's record anchors.
func (c *Client) ListRecordsByPatient(ctx context.Context, patient string, pageSize int, bookmark string) (*consenttypes.RecordPage, error) {
	if err := local("ListRecordsByPatient", consenttypes.CheckID("patient", patient)); err != nil {
		return nil, err
	}
	p, err := sdk.EvaluateJSON[consenttypes.RecordPage](ctx, c.k, "ListRecordsByPatient", []string{patient, strconv.Itoa(pageSize), bookmark})
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

// RequestErasure asks the custodian to erase a record's private details. The reason is public.
func (c *Client) RequestErasure(ctx context.Context, recordID, reason string) (*consenttypes.Record, error) {
	if err := local("RequestErasure", consenttypes.CheckID("record id", recordID), consenttypes.CheckReason(reason)); err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[consenttypes.Record](ctx, c.k, "RequestErasure", []string{recordID, reason})
}

// EraseRecord purges a record's private details; the hash stays. The reason is public.
func (c *Client) EraseRecord(ctx context.Context, recordID, reason string) (*consenttypes.Record, error) {
	if err := local("EraseRecord", consenttypes.CheckID("record id", recordID), consenttypes.CheckReason(reason)); err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[consenttypes.Record](ctx, c.k, "EraseRecord", []string{recordID, reason})
}

// Digest returns the lowercase hex SHA-256 of a document. Record anchors are no plain digests: see
// consenttypes.Anchor.
func Digest(document []byte) string {
	sum := sha256.Sum256(document)
	return hex.EncodeToString(sum[:])
}

// DecodeEvent decodes a consent chaincode event into its typed payload: *consenttypes.ConsentEvent,
// *AccessEvent, *RecordEvent or *DelegateEvent, chosen by the event's name.
func DecodeEvent(e sdk.ChaincodeEvent) (any, error) {
	switch e.Name {
	case consenttypes.EventConsentGranted, consenttypes.EventConsentUpdated, consenttypes.EventConsentRevoked:
		return sdk.DecodeEvent[consenttypes.ConsentEvent](e)
	case consenttypes.EventAccessRecorded:
		return sdk.DecodeEvent[consenttypes.AccessEvent](e)
	case consenttypes.EventRecordRegistered, consenttypes.EventErasureRequested, consenttypes.EventRecordErased:
		return sdk.DecodeEvent[consenttypes.RecordEvent](e)
	case consenttypes.EventDelegateAdded, consenttypes.EventDelegateRemoved:
		return sdk.DecodeEvent[consenttypes.DelegateEvent](e)
	}
	return nil, fmt.Errorf("consent event %q (tx %s): unknown event name", e.Name, e.TransactionID)
}

// consentDoc normalizes, checks and encodes a consent.
func consentDoc(fn string, consent consenttypes.Consent) (string, error) {
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
// sdk.ErrInvalidArgument and the *codes.Error underneath.
func local(fn string, errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("consent.%s: %w: %w", fn, sdk.ErrInvalidArgument, err)
		}
	}
	return nil
}

// NewSalt draws a record salt: base64url of consenttypes.MinSaltBytes random bytes.
func NewSalt() (string, error) {
	var b [consenttypes.MinSaltBytes]byte
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

// RegisterPatient binds the calling patient's id to the key of this client's certificate. Until a
// patient registers, every write in their name fails with ErrForbidden; from then on only a certificate
// with this key acts as the patient. Registering again with the same key fails with ErrDuplicate, with
// another key with ErrForbidden.
func (c *Client) RegisterPatient(ctx context.Context) (*consenttypes.PatientBinding, error) {
	return sdk.SubmitJSON[consenttypes.PatientBinding](ctx, c.k, "RegisterPatient", nil)
}

// GetPatient returns a patient's binding (MSP, key hash, epoch) to the patient, a delegate, an auditor
// or an organisation admin.
func (c *Client) GetPatient(ctx context.Context, patient string) (*consenttypes.PatientBinding, error) {
	if err := local("GetPatient", consenttypes.CheckID("patient", patient)); err != nil {
		return nil, err
	}
	return sdk.EvaluateJSON[consenttypes.PatientBinding](ctx, c.k, "GetPatient", []string{patient})
}

// RotatePatientKey moves the calling patient's binding to the key of newKeyPEM (a certificate or a
// public key, PEM). This client must hold the current key. sign is the new key's holder agreeing: it
// signs (ECDSA, ASN.1) the SHA-256 digest it is given, which names the patient, the binding's epoch and
// the new key.
func (c *Client) RotatePatientKey(ctx context.Context, newKeyPEM []byte, sign func(digest []byte) ([]byte, error)) (*consenttypes.PatientBinding, error) {
	spki, _, err := consenttypes.ParsePublicKeyPEM(newKeyPEM)
	if err := local("RotatePatientKey", err); err != nil {
		return nil, err
	}
	patient := c.c.Identity().Subject
	if err := local("RotatePatientKey", consenttypes.CheckID("patient (this identity's subject)", patient)); err != nil {
		return nil, err
	}
	b, err := c.GetPatient(ctx, patient)
	if err != nil {
		return nil, fmt.Errorf("consent.RotatePatientKey: reading the binding: %w", err)
	}
	digest := sha256.Sum256(consenttypes.RotationMessage(patient, b.Epoch, consenttypes.KeyHash(spki)))
	sig, err := sign(digest[:])
	if err != nil {
		return nil, fmt.Errorf("consent.RotatePatientKey: signing with the new key: %w", err)
	}
	return sdk.SubmitJSON[consenttypes.PatientBinding](ctx, c.k, "RotatePatientKey", []string{string(newKeyPEM), base64.StdEncoding.EncodeToString(sig)})
}

// ApproveRecovery records, as an organisation admin, that patient's key may be replaced by the key
// whose hash (consenttypes.KeyHash of its SubjectPublicKeyInfo) is newKeyHash.
func (c *Client) ApproveRecovery(ctx context.Context, patient, newKeyHash string) (*consenttypes.RecoveryApproval, error) {
	if err := local("ApproveRecovery", consenttypes.CheckID("patient", patient), consenttypes.CheckKeyHash(newKeyHash)); err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[consenttypes.RecoveryApproval](ctx, c.k, "ApproveRecovery", []string{patient, newKeyHash})
}

// CompleteRecovery binds the calling patient to this client's key, once admins of
// consenttypes.MinRecoveryOrgs organisations approved it (ErrForbidden before).
func (c *Client) CompleteRecovery(ctx context.Context) (*consenttypes.PatientBinding, error) {
	return sdk.SubmitJSON[consenttypes.PatientBinding](ctx, c.k, "CompleteRecovery", nil)
}
