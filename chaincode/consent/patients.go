package consent

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// The reasons a certificate that carries a patient's id is not accepted as that patient: they go in
// the refusal log line as they are.
const (
	reasonUnregistered = "unregistered"
	reasonKeyMismatch  = "key-mismatch"
)

// objRecovery: (patient, new key hash, approving MSP) -> consenttypes.RecoveryApproval.
const objRecovery = "recovery"

// maxPEMArg bounds RotatePatientKey's certificate or public key argument.
const maxPEMArg = 8 << 10

// callerKeyHash names the public key of the certificate that signed the proposal.
func callerKeyHash(ctx txstate.Context) (string, error) {
	cert, err := ctx.GetClientIdentity().GetX509Certificate()
	if err != nil || cert == nil {
		return "", codes.New(codes.Internal, "reading the caller's certificate: %v", err)
	}
	return consenttypes.KeyHash(cert.RawSubjectPublicKeyInfo), nil
}

func bindingOf(ctx txstate.Context, patient string) (consenttypes.PatientBinding, bool, error) {
	key, err := ctx.State().Key(objPatient, patient)
	if err != nil {
		return consenttypes.PatientBinding{}, false, err
	}
	var b consenttypes.PatientBinding
	found, err := ctx.State().GetJSON(key, &b)
	return b, found, err
}

func putBinding(ctx txstate.Context, b consenttypes.PatientBinding) error {
	key, err := ctx.State().Key(objPatient, b.Patient)
	if err != nil {
		return err
	}
	return ctx.State().PutJSON(key, b)
}

// checkSelf tells why a patient certificate with patient's id is not that patient ("" when it is): the
// patient must be registered and the certificate must carry the registered key. A refusal is logged.
func (s *Contract) checkSelf(ctx txstate.Context, c ccutil.Caller, patient, action string) (string, error) {
	b, found, err := bindingOf(ctx, patient)
	if err != nil {
		return "", err
	}
	if !found {
		s.logRefusal(ctx, c, patient, action, reasonUnregistered)
		return fmt.Sprintf("patient %s is not registered: the patient must call RegisterPatient first", patient), nil
	}
	k, err := callerKeyHash(ctx)
	if err != nil {
		return "", err
	}
	if k != b.KeyHash {
		s.logRefusal(ctx, c, patient, action, reasonKeyMismatch)
		return fmt.Sprintf("this certificate of %s for patient %s does not carry the patient's registered key", c.MSPID, patient), nil
	}
	return "", nil
}

// refusal is the chaincode server's log line for a certificate refused as a patient: no PHI, only the
// transaction, the certificate's MSP, the (pseudonymous) patient id, the function and the reason.
type refusal struct {
	Event    string `json:"event"`
	TxID     string `json:"txId"`
	MSPID    string `json:"mspId"`
	Patient  string `json:"patient"`
	Function string `json:"function"`
	Reason   string `json:"reason"`
}

func (s *Contract) logRefusal(ctx txstate.Context, c ccutil.Caller, patient, action, reason string) {
	line, err := json.Marshal(refusal{Event: "consent.patient-refused", TxID: ctx.GetStub().GetTxID(), MSPID: c.MSPID,
		Patient: patient, Function: action, Reason: reason})
	if err != nil {
		return
	}
	fmt.Fprintf(s.logOut(), "%s\n", line)
}

// patientCaller returns the caller when it holds the patient role and a subject, or FORBIDDEN.
func patientCaller(ctx txstate.Context, action string) (ccutil.Caller, error) {
	c, err := callerOf(ctx, action)
	if err != nil {
		return ccutil.Caller{}, err
	}
	if c.Role != wire.RolePatient {
		return ccutil.Caller{}, codes.New(codes.Forbidden, "%s: only a patient may do this; caller is %s", action, partyOf(c))
	}
	return c, nil
}

// RegisterPatient binds the calling patient's id to the public key of the certificate that signs this
// call (and records its MSP). From then on only a certificate with that key acts as the patient, whoever
// issued it. Registering again with the same key fails with DUPLICATE, with another key with FORBIDDEN.
// The registration is the first line of the patient's access log.
func (s *Contract) RegisterPatient(ctx txstate.Context) (*consenttypes.PatientBinding, error) {
	caller, err := patientCaller(ctx, "RegisterPatient")
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("patient", caller.Subject); err != nil {
		return nil, err
	}
	k, err := callerKeyHash(ctx)
	if err != nil {
		return nil, err
	}
	old, found, err := bindingOf(ctx, caller.Subject)
	if err != nil {
		return nil, err
	}
	if found {
		if old.KeyHash == k {
			return nil, codes.New(codes.Duplicate, "patient %s is already registered with this key", caller.Subject)
		}
		s.logRefusal(ctx, caller, caller.Subject, "RegisterPatient", reasonKeyMismatch)
		return nil, codes.New(codes.Forbidden, "RegisterPatient: patient %s is already registered with another key", caller.Subject)
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	txID := ctx.GetStub().GetTxID()
	at := now.Format(time.RFC3339Nano)
	b := consenttypes.PatientBinding{Patient: caller.Subject, MSPID: caller.MSPID, KeyHash: k, RegisteredAt: at, UpdatedAt: at, UpdatedTxID: txID}
	if err := putBinding(ctx, b); err != nil {
		return nil, err
	}
	if err := logIdentity(ctx, caller.Subject, partyOf(caller), consenttypes.ActionPatientRegistered, k, now); err != nil {
		return nil, err
	}
	return &b, nil
}

// GetPatient returns a patient's binding (MSP, key hash, epoch: what a rotation proof signs) to the
// patient (with the registered key), a delegate, an auditor or an organisation's admin (who approves
// recoveries).
func (s *Contract) GetPatient(ctx txstate.Context, patient string) (*consenttypes.PatientBinding, error) {
	// The caller first: a role the consortium map does not grant its organisation is refused before
	// the arguments are looked at.
	if _, err := ccutil.CallerOf(ctx); err != nil {
		return nil, err
	}
	admin, err := isAdmin(ctx)
	if err != nil {
		return nil, err
	}
	var c ccutil.Caller
	if !admin {
		if c, err = callerOf(ctx, "GetPatient"); err != nil {
			return nil, err
		}
	}
	if err := wire.CheckID("patient", patient); err != nil {
		return nil, err
	}
	if !admin {
		if err := s.requireOwnerOrAuditor(ctx, c, patient, "GetPatient"); err != nil {
			return nil, err
		}
	}
	b, found, err := bindingOf(ctx, patient)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, codes.New(codes.NotFound, "patient %s is not registered", patient)
	}
	return &b, nil
}

// CheckPatient succeeds when the caller is the registered patient with the pinned key, and fails with
// FORBIDDEN otherwise (logged like any refusal). Other chaincodes (claims) call it, on the same channel,
// to apply the same binding to the patient's reads.
func (s *Contract) CheckPatient(ctx txstate.Context, patient string) (*consenttypes.PatientBinding, error) {
	caller, err := patientCaller(ctx, "CheckPatient")
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("patient", patient); err != nil {
		return nil, err
	}
	if caller.Subject != patient {
		return nil, codes.New(codes.Forbidden, "CheckPatient: the caller's certificate is not for patient %s", patient)
	}
	why, err := s.checkSelf(ctx, caller, patient, "CheckPatient")
	if err != nil {
		return nil, err
	}
	if why != "" {
		return nil, codes.New(codes.Forbidden, "CheckPatient: %s", why)
	}
	b, _, err := bindingOf(ctx, patient)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// RotatePatientKey replaces the calling patient's key: the call is signed by the current (registered)
// key, and newKeyPEM (the new certificate or public key, PEM) comes with signatureB64, the new key's
// ECDSA signature (ASN.1, base64) over the SHA-256 of consenttypes.RotationMessage(patient, epoch,
// hash of the new key). The proof names the binding's epoch, so it cannot be replayed. The rotation is
// in the access log.
func (s *Contract) RotatePatientKey(ctx txstate.Context, newKeyPEM, signatureB64 string) (*consenttypes.PatientBinding, error) {
	caller, err := patientCaller(ctx, "RotatePatientKey")
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("patient", caller.Subject); err != nil {
		return nil, err
	}
	why, err := s.checkSelf(ctx, caller, caller.Subject, "RotatePatientKey")
	if err != nil {
		return nil, err
	}
	if why != "" {
		return nil, codes.New(codes.Forbidden, "RotatePatientKey must be signed by the current key: %s", why)
	}
	b, _, err := bindingOf(ctx, caller.Subject)
	if err != nil {
		return nil, err
	}
	spki, pub, err := consenttypes.ParsePublicKeyPEM([]byte(newKeyPEM))
	if err != nil {
		return nil, err
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, codes.New(codes.InvalidArgument, "RotatePatientKey: the new key is no ECDSA key")
	}
	newHash := consenttypes.KeyHash(spki)
	if newHash == b.KeyHash {
		return nil, codes.New(codes.Duplicate, "RotatePatientKey: the new key is the current key")
	}
	sig, err := base64.StdEncoding.DecodeString(signatureB64)
	if err != nil {
		return nil, codes.New(codes.InvalidArgument, "RotatePatientKey: the signature is not base64")
	}
	digest := sha256.Sum256(consenttypes.RotationMessage(b.Patient, b.Epoch, newHash))
	if !ecdsa.VerifyASN1(ec, digest[:], sig) {
		return nil, codes.New(codes.Forbidden, "RotatePatientKey: the new key's signature over the rotation message (epoch %d) does not verify", b.Epoch)
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	b.KeyHash, b.Epoch = newHash, b.Epoch+1
	b.UpdatedAt, b.UpdatedTxID = now.Format(time.RFC3339Nano), ctx.GetStub().GetTxID()
	if err := putBinding(ctx, b); err != nil {
		return nil, err
	}
	if err := logIdentity(ctx, b.Patient, partyOf(caller), consenttypes.ActionKeyRotated, newHash, now); err != nil {
		return nil, err
	}
	return &b, nil
}

// ApproveRecovery records that the calling organisation (an admin certificate of its MSP: the NodeOU
// admin) approves replacing patient's key by the key named newKeyHash, at the binding's current epoch.
// One approval per organisation; the approval is in the patient's access log. CompleteRecovery needs
// approvals of consenttypes.MinRecoveryOrgs distinct organisations.
func (s *Contract) ApproveRecovery(ctx txstate.Context, patient, newKeyHash string) (*consenttypes.RecoveryApproval, error) {
	c, err := ccutil.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	admin, err := isAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if !admin {
		return nil, codes.New(codes.Forbidden, "ApproveRecovery needs an organisation admin certificate; caller of %s is none", c.MSPID)
	}
	if err := wire.CheckID("patient", patient); err != nil {
		return nil, err
	}
	if err := consenttypes.CheckKeyHash(newKeyHash); err != nil {
		return nil, err
	}
	b, found, err := bindingOf(ctx, patient)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, codes.New(codes.NotFound, "patient %s is not registered", patient)
	}
	if b.KeyHash == newKeyHash {
		return nil, codes.New(codes.InvalidArgument, "ApproveRecovery: that key is already the patient's key")
	}
	key, err := ctx.State().Key(objRecovery, patient, newKeyHash, c.MSPID)
	if err != nil {
		return nil, err
	}
	var old consenttypes.RecoveryApproval
	had, err := ctx.State().GetJSON(key, &old)
	if err != nil {
		return nil, err
	}
	if had && old.Epoch == b.Epoch {
		return nil, codes.New(codes.Duplicate, "%s already approved this recovery of patient %s", c.MSPID, patient)
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	a := consenttypes.RecoveryApproval{Patient: patient, NewKeyHash: newKeyHash, Epoch: b.Epoch, MSPID: c.MSPID, ApprovedBy: c.ID,
		ApprovedAt: now.Format(time.RFC3339Nano), TxID: ctx.GetStub().GetTxID()}
	if err := ctx.State().PutJSON(key, a); err != nil {
		return nil, err
	}
	if err := logIdentity(ctx, patient, c.MSPID+"/admin", consenttypes.ActionRecoveryApproved, newKeyHash, now); err != nil {
		return nil, err
	}
	return &a, nil
}

// CompleteRecovery binds the calling patient's id to the key of the certificate that signs this call,
// when admins of at least consenttypes.MinRecoveryOrgs distinct organisations approved that key at the
// binding's current epoch (FORBIDDEN otherwise). The epoch moves on, so the approvals cannot serve
// again. The recovery is in the access log.
func (s *Contract) CompleteRecovery(ctx txstate.Context) (*consenttypes.PatientBinding, error) {
	caller, err := patientCaller(ctx, "CompleteRecovery")
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("patient", caller.Subject); err != nil {
		return nil, err
	}
	b, found, err := bindingOf(ctx, caller.Subject)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, codes.New(codes.Forbidden, "CompleteRecovery: patient %s is not registered: the patient must call RegisterPatient", caller.Subject)
	}
	k, err := callerKeyHash(ctx)
	if err != nil {
		return nil, err
	}
	if k == b.KeyHash {
		return nil, codes.New(codes.Duplicate, "CompleteRecovery: this certificate already carries the patient's key")
	}
	iter, err := ctx.GetStub().GetStateByPartialCompositeKey(objRecovery, []string{b.Patient, k})
	if err != nil {
		return nil, codes.New(codes.Internal, "reading the recovery approvals: %v", err)
	}
	defer iter.Close()
	var orgs []string
	var keys []string
	for iter.HasNext() {
		kv, err := iter.Next()
		if err != nil {
			return nil, codes.New(codes.Internal, "reading the recovery approvals: %v", err)
		}
		a, err := ccutil.DecodeJSON[consenttypes.RecoveryApproval](kv.GetKey(), kv.GetValue())
		if err != nil {
			return nil, err
		}
		keys = append(keys, kv.GetKey())
		if a.Epoch == b.Epoch && !slices.Contains(orgs, a.MSPID) {
			orgs = append(orgs, a.MSPID)
		}
	}
	if len(orgs) < consenttypes.MinRecoveryOrgs {
		s.logRefusal(ctx, caller, b.Patient, "CompleteRecovery", reasonKeyMismatch)
		return nil, codes.New(codes.Forbidden, "CompleteRecovery: this key is approved by %d organisation(s) %v; a recovery needs admins of %d",
			len(orgs), orgs, consenttypes.MinRecoveryOrgs)
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	for _, key := range keys {
		ctx.State().Del(key)
	}
	b.KeyHash, b.MSPID, b.Epoch = k, caller.MSPID, b.Epoch+1
	b.UpdatedAt, b.UpdatedTxID = now.Format(time.RFC3339Nano), ctx.GetStub().GetTxID()
	if err := putBinding(ctx, b); err != nil {
		return nil, err
	}
	slices.Sort(orgs)
	if err := logIdentity(ctx, b.Patient, partyOf(caller), consenttypes.ActionRecoveryCompleted, k+" approved by "+fmt.Sprint(orgs), now); err != nil {
		return nil, err
	}
	return &b, nil
}

// isAdmin reports whether the caller's certificate carries the admin node OU.
func isAdmin(ctx txstate.Context) (bool, error) {
	cert, err := ctx.GetClientIdentity().GetX509Certificate()
	if err != nil || cert == nil {
		return false, codes.New(codes.Internal, "reading the caller's certificate: %v", err)
	}
	return slices.Contains(cert.Subject.OrganizationalUnit, "admin"), nil
}

// logIdentity writes an identity line in the patient's access log.
func logIdentity(ctx txstate.Context, patient, by string, action consenttypes.Action, detail string, now time.Time) error {
	txID := ctx.GetStub().GetTxID()
	e := &consenttypes.AccessEntry{ID: string(action) + "@" + txID, Patient: patient, Accessor: by, Action: action,
		ConsentIDs: []string{}, At: now, TxID: txID, Detail: detail}
	key, err := ctx.State().Key(objAccess, patient, invertedTime(now), txID, string(action))
	if err != nil {
		return err
	}
	return ctx.State().PutJSON(key, e)
}
