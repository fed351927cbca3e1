package consent

import (
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// RecordAccess logs that the caller reads dataClass of patient for purpose (record recordId). It
// succeeds only when the patient's consents permit the caller (as "<MSP>/<role>/<subject>") to
// access that class for that purpose at the transaction's time; otherwise it fails with FORBIDDEN and
// stores nothing. When recordId names a registered record, its patient and class must match. The
// consent decision comes before the record is read, and a record of another patient or class gets the
// very refusal of a missing consent, so a caller learns nothing about a record it may not read. The
// entry's id is "<recordId>@<txId>": a retry is a new transaction and logs a new entry. Patients do
// not log reads of their own data. Emits AccessRecorded.
func (s *Contract) RecordAccess(ctx txstate.Context, patient, dataClass, purpose, recordID string) (*consenttypes.AccessEntry, error) {
	caller, err := callerOf(ctx, "RecordAccess")
	if err != nil {
		return nil, err
	}
	if caller.Role == wire.RolePatient {
		return nil, codes.New(codes.Forbidden, "RecordAccess: a patient does not record access; caller is %s", partyOf(caller))
	}
	req, err := parseRequest(patient, caller.MSPID, string(consenttypes.ActionAccess), purpose, dataClass)
	if err != nil {
		return nil, err
	}
	req.Grantee = granteeOf(caller)
	if err := wire.CheckID("record id", recordID); err != nil {
		return nil, err
	}
	// One refusal, built from the arguments only, for every way the call can be refused: no permitting
	// consent, a record of another patient, a record of another class.
	refused := codes.New(codes.Forbidden, "RecordAccess: %s may not access %s of patient %s for %s as record %s (CheckAccess tells what the consents decide)",
		partyOf(caller), req.Class, patient, req.Purpose, recordID)
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	consents, err := activeConsents(ctx, patient, caller.MSPID)
	if err != nil {
		return nil, err
	}
	d := consenttypes.Decide(consents, req, now)
	if !d.Permitted() {
		return nil, refused
	}
	rec, found, err := getRecord(ctx, recordID)
	if err != nil {
		return nil, err
	}
	if found && (rec.Patient != patient || rec.DataClass != req.Class) {
		return nil, refused
	}
	txID := ctx.GetStub().GetTxID()
	e := &consenttypes.AccessEntry{
		ID: recordID + "@" + txID, Patient: patient, Accessor: partyOf(caller), Action: consenttypes.ActionAccess,
		DataClass: req.Class, Purpose: req.Purpose, RecordID: recordID, ConsentIDs: d.ConsentIDs, At: now, TxID: txID,
	}
	key, err := ctx.State().Key(objAccess, patient, invertedTime(now), txID, recordID)
	if err != nil {
		return nil, err
	}
	if err := ctx.State().PutJSON(key, e); err != nil {
		return nil, err
	}
	ev := consenttypes.AccessEvent{AccessID: e.ID, Patient: patient, Accessor: e.Accessor, DataClass: e.DataClass,
		Purpose: e.Purpose, RecordID: recordID, ConsentIDs: e.ConsentIDs, At: now}
	if err := ccutil.Emit(ctx, consenttypes.EventAccessRecorded, ev); err != nil {
		return nil, err
	}
	return e, nil
}

// ListAccessLog returns one page of a patient's access log, newest first, to the patient, a delegate
// or an auditor. pageSize 0 means the default.
func (s *Contract) ListAccessLog(ctx txstate.Context, patient string, pageSize int, bookmark string) (*consenttypes.AccessLogPage, error) {
	caller, err := callerOf(ctx, "ListAccessLog")
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("patient", patient); err != nil {
		return nil, err
	}
	if err := s.requireOwnerOrAuditor(ctx, caller, patient, "ListAccessLog"); err != nil {
		return nil, err
	}
	page, err := listPage(ctx, objAccess, []string{patient}, pageSize, bookmark, ccutil.DecodeJSON[consenttypes.AccessEntry])
	if err != nil {
		return nil, err
	}
	return &consenttypes.AccessLogPage{Items: page.Items, Bookmark: page.Bookmark}, nil
}

// AddDelegate lets the calling patient record a delegate (a guardian): the holder of a certificate of
// MSP mspID with subject attribute subject, whatever its role. A delegate may grant, update and revoke
// the patient's consents, read them and the access log, and request or perform the erasure of the
// patient's records. Emits DelegateAdded.
func (s *Contract) AddDelegate(ctx txstate.Context, subject, mspID string) (*consenttypes.Delegate, error) {
	caller, err := s.patientSelf(ctx, "AddDelegate")
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("delegate subject", subject); err != nil {
		return nil, err
	}
	if err := consenttypes.CheckMSPID(mspID); err != nil {
		return nil, err
	}
	if subject == caller.Subject && mspID == caller.MSPID {
		return nil, codes.New(codes.InvalidArgument, "AddDelegate: a patient cannot be their own delegate")
	}
	key, err := ctx.State().Key(objDelegate, caller.Subject, mspID, subject)
	if err != nil {
		return nil, err
	}
	var existing consenttypes.Delegate
	found, err := ctx.State().GetJSON(key, &existing)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, codes.New(codes.Duplicate, "%s/%s is already a delegate of patient %s", mspID, subject, caller.Subject)
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	d := &consenttypes.Delegate{Patient: caller.Subject, MSPID: mspID, Subject: subject, AddedAt: now, AddedBy: partyOf(caller)}
	if err := ctx.State().PutJSON(key, d); err != nil {
		return nil, err
	}
	if err := ccutil.Emit(ctx, consenttypes.EventDelegateAdded, consenttypes.DelegateEvent{Patient: d.Patient, MSPID: mspID, Subject: subject, At: now}); err != nil {
		return nil, err
	}
	return d, nil
}

// RemoveDelegate lets the calling patient remove a delegate; from the next transaction on it may no
// longer act for the patient. Emits DelegateRemoved.
func (s *Contract) RemoveDelegate(ctx txstate.Context, subject, mspID string) error {
	caller, err := s.patientSelf(ctx, "RemoveDelegate")
	if err != nil {
		return err
	}
	if err := wire.CheckID("delegate subject", subject); err != nil {
		return err
	}
	if err := consenttypes.CheckMSPID(mspID); err != nil {
		return err
	}
	key, err := ctx.State().Key(objDelegate, caller.Subject, mspID, subject)
	if err != nil {
		return err
	}
	raw, err := ctx.State().Get(key)
	if err != nil {
		return err
	}
	if raw == nil {
		return codes.New(codes.NotFound, "%s/%s is not a delegate of patient %s", mspID, subject, caller.Subject)
	}
	ctx.State().Del(key)
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return err
	}
	return ccutil.Emit(ctx, consenttypes.EventDelegateRemoved, consenttypes.DelegateEvent{Patient: caller.Subject, MSPID: mspID, Subject: subject, At: now})
}

// ListDelegates returns one page of a patient's delegates to the patient, a delegate or an auditor.
func (s *Contract) ListDelegates(ctx txstate.Context, patient string, pageSize int, bookmark string) (*consenttypes.DelegatePage, error) {
	caller, err := callerOf(ctx, "ListDelegates")
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("patient", patient); err != nil {
		return nil, err
	}
	if err := s.requireOwnerOrAuditor(ctx, caller, patient, "ListDelegates"); err != nil {
		return nil, err
	}
	page, err := listPage(ctx, objDelegate, []string{patient}, pageSize, bookmark, ccutil.DecodeJSON[consenttypes.Delegate])
	if err != nil {
		return nil, err
	}
	return &consenttypes.DelegatePage{Items: page.Items, Bookmark: page.Bookmark}, nil
}

// patientSelf returns the caller when it is the registered patient acting for itself, with a
// certificate that carries the registered key, or FORBIDDEN.
func (s *Contract) patientSelf(ctx txstate.Context, action string) (ccutil.Caller, error) {
	caller, err := patientCaller(ctx, action)
	if err != nil {
		return ccutil.Caller{}, err
	}
	if err := wire.CheckID("patient", caller.Subject); err != nil {
		return ccutil.Caller{}, err
	}
	why, err := s.checkSelf(ctx, caller, caller.Subject, action)
	if err != nil {
		return ccutil.Caller{}, err
	}
	if why != "" {
		return ccutil.Caller{}, codes.New(codes.Forbidden, "%s: %s", action, why)
	}
	return caller, nil
}
