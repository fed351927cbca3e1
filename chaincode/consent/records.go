package consent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// RegisterRecord anchors an off-chain health record in public state: its SHA-256, class, patient and
// detailsHash, the hex SHA-256 of its private details ({"uri","description","salt"}: the bytes that
// PutRecordDetails will store in the collection of the caller's organisation, consentRecords<MSPID>).
// It carries no private data, so every organisation's peers may endorse it. The caller must be a
// provider or pharmacist that some consent permits to collect that class for some purpose (deny
// overrides permit per purpose). Re-registering an id with the same anchor fails with DUPLICATE, with
// another with CONFLICT. Emits RecordRegistered.
func (s *Contract) RegisterRecord(ctx txstate.Context, recordID, patient, dataClass, sha256hex, detailsHash string) (*consenttypes.Record, error) {
	caller, err := callerOf(ctx, "RegisterRecord")
	if err != nil {
		return nil, err
	}
	if !caller.Is(wire.RoleProvider, wire.RolePharmacist) {
		return nil, codes.New(codes.Forbidden, "RegisterRecord needs role provider or pharmacist; caller is %s", partyOf(caller))
	}
	if err := wire.CheckID("record id", recordID); err != nil {
		return nil, err
	}
	if err := wire.CheckID("patient", patient); err != nil {
		return nil, err
	}
	class, err := consenttypes.CheckDataClass(dataClass)
	if err != nil {
		return nil, err
	}
	sum, err := consenttypes.CheckSHA256(sha256hex)
	if err != nil {
		return nil, err
	}
	commitment, herr := consenttypes.CheckSHA256(detailsHash)
	if herr != nil {
		return nil, codes.New(codes.InvalidArgument, "the details hash must be a hex SHA-256 (64 hex digits)")
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	existing, found, err := getRecord(ctx, recordID)
	if err != nil {
		return nil, err
	}
	if found {
		if existing.Patient == patient && existing.DataClass == class && existing.SHA256 == sum && existing.RegisteredByMSP == caller.MSPID &&
			existing.DetailsHash == commitment {
			return nil, codes.New(codes.Duplicate, "record %s is already registered with this hash", recordID)
		}
		return nil, codes.New(codes.Conflict, "record %s is already registered with another anchor", recordID)
	}
	consents, err := activeConsents(ctx, patient, caller.MSPID)
	if err != nil {
		return nil, err
	}
	d, purpose := decideAnyPurpose(consents, patient, granteeOf(caller), consenttypes.ActionCollect, class, now)
	if !d.Permitted() {
		return nil, codes.New(codes.Forbidden, "RegisterRecord: %s", d.Reason)
	}
	rec := &consenttypes.Record{
		ID: recordID, Patient: patient, DataClass: class, SHA256: sum, RegisteredBy: partyOf(caller),
		RegisteredByMSP: caller.MSPID, RegisteredAt: now, Collection: consenttypes.CollectionFor(caller.MSPID),
		DetailsHash: commitment, Purpose: purpose, ConsentIDs: d.ConsentIDs,
	}
	if err := putRecord(ctx, rec); err != nil {
		return nil, err
	}
	if err := putMarker(ctx, objRecordByPatient, patient, recordID); err != nil {
		return nil, err
	}
	if err := ccutil.Emit(ctx, consenttypes.EventRecordRegistered, recordEvent(rec, rec.RegisteredBy, now)); err != nil {
		return nil, err
	}
	return rec, nil
}

// PutRecordDetails stores a registered record's private details, passed as the transient field
// "record", in the record's collection. It writes nothing else, so the collection's own endorsement
// policy (its member org's peer) decides its validity, and the details reach only that org's peers.
// The caller must be a provider or pharmacist of the registering organisation; the details' SHA-256
// must be the anchor's detailsHash (INVALID_ARGUMENT otherwise). Storing the same details again
// fails with DUPLICATE; an erased record takes none (PRECONDITION_FAILED). It answers the public anchor.
func (s *Contract) PutRecordDetails(ctx txstate.Context, recordID string) (*consenttypes.Record, error) {
	caller, err := callerOf(ctx, "PutRecordDetails")
	if err != nil {
		return nil, err
	}
	rec, err := mustRecord(ctx, recordID)
	if err != nil {
		return nil, err
	}
	if !isCustodian(caller, rec) {
		return nil, codes.New(codes.Forbidden, "PutRecordDetails: only a provider or pharmacist of %s may store the details of record %s; caller is %s",
			rec.RegisteredByMSP, recordID, partyOf(caller))
	}
	if rec.Erased {
		return nil, codes.New(codes.PreconditionFailed, "record %s is erased: it takes no details", recordID)
	}
	raw, err := ccutil.Transient(ctx, consenttypes.TransientRecord)
	if err != nil {
		return nil, err
	}
	var details consenttypes.RecordDetails
	if err := ccutil.TransientJSON(ctx, consenttypes.TransientRecord, `transient field "`+consenttypes.TransientRecord+`" ({"uri","description","salt"})`, &details); err != nil {
		return nil, err
	}
	if err := details.Validate(); err != nil {
		return nil, err
	}
	h := sha256.Sum256(raw)
	if hex.EncodeToString(h[:]) != rec.DetailsHash {
		return nil, codes.New(codes.InvalidArgument, "the details' SHA-256 is not the detailsHash that record %s was registered with", recordID)
	}
	held, err := ctx.State().GetPrivateHash(rec.Collection, recordID)
	if err != nil {
		return nil, err
	}
	if len(held) > 0 && hex.EncodeToString(held) == rec.DetailsHash {
		return nil, codes.New(codes.Duplicate, "the details of record %s are already stored", recordID)
	}
	ctx.State().PutPrivate(rec.Collection, recordID, raw)
	return rec, nil
}

// VerifyRecord tells anyone whether a presented document's SHA-256 matches a registered record. The
// answer holds for an erased record too: the hash stays.
func (s *Contract) VerifyRecord(ctx txstate.Context, recordID, sha256hex string) (*consenttypes.Verification, error) {
	if err := wire.CheckID("record id", recordID); err != nil {
		return nil, err
	}
	sum, err := consenttypes.CheckSHA256(sha256hex)
	if err != nil {
		return nil, err
	}
	rec, found, err := getRecord(ctx, recordID)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, codes.New(codes.NotFound, "record %s", recordID)
	}
	v := &consenttypes.Verification{RecordID: recordID, Result: consenttypes.Mismatch, Erased: rec.Erased}
	if rec.SHA256 == sum {
		v.Result = consenttypes.Match
	}
	return v, nil
}

// GetRecord returns a record's public anchor to the patient, a delegate, an auditor, a provider or
// pharmacist of the registering organisation, or a caller that a consent permits to access that class.
func (s *Contract) GetRecord(ctx txstate.Context, recordID string) (*consenttypes.Record, error) {
	caller, err := callerOf(ctx, "GetRecord")
	if err != nil {
		return nil, err
	}
	return s.readableRecord(ctx, caller, recordID, "GetRecord")
}

// RecordHistory returns every version of a record's anchor, oldest first (registration, erasure
// request, erasure), to whoever may read the record.
func (s *Contract) RecordHistory(ctx txstate.Context, recordID string) ([]consenttypes.RecordVersion, error) {
	caller, err := callerOf(ctx, "RecordHistory")
	if err != nil {
		return nil, err
	}
	if _, err := s.readableRecord(ctx, caller, recordID, "RecordHistory"); err != nil {
		return nil, err
	}
	key, err := ctx.State().Key(objRecord, recordID)
	if err != nil {
		return nil, err
	}
	hist, err := ccutil.History[consenttypes.Record](ctx, key)
	if err != nil {
		return nil, err
	}
	out := make([]consenttypes.RecordVersion, 0, len(hist))
	for _, h := range hist {
		out = append(out, consenttypes.RecordVersion{TxID: h.TxID, Timestamp: h.Timestamp, IsDelete: h.IsDelete, Value: h.Value})
	}
	return out, nil
}

// GetRecordDetails returns a record's private location and description to the patient, a delegate, or
// a provider or pharmacist of the registering organisation. It answers NOT_FOUND once the details are
// erased, and UNAVAILABLE on a peer that does not hold the collection. The answer is sealed under the
// caller's key (transient field seal.TransientKey; docs/privacy.md), so that even a submitted call puts
// no private data into a block.
func (s *Contract) GetRecordDetails(ctx txstate.Context, recordID string) (*seal.Envelope, error) {
	caller, err := callerOf(ctx, "GetRecordDetails")
	if err != nil {
		return nil, err
	}
	rec, err := mustRecord(ctx, recordID)
	if err != nil {
		return nil, err
	}
	if !isCustodian(caller, rec) {
		rel, _, err := s.relationTo(ctx, caller, rec.Patient, "GetRecordDetails")
		if err != nil {
			return nil, err
		}
		if rel == relNone {
			return nil, codes.New(codes.Forbidden, "GetRecordDetails: only patient %s, a delegate, or a provider or pharmacist of %s may read the details of record %s; caller is %s",
				rec.Patient, rec.RegisteredByMSP, recordID, partyOf(caller))
		}
	}
	if rec.Erased {
		// Say "erased" only when the purge really happened: the hashed copy, which every peer of
		// the channel keeps, must be gone too.
		hash, err := ctx.State().GetPrivateHash(rec.Collection, recordID)
		if err != nil {
			return nil, err
		}
		if hash != nil {
			return nil, codes.New(codes.Internal, "record %s is marked erased but its private details are still on the ledger", recordID)
		}
		return nil, codes.New(codes.NotFound, "the details of record %s were erased at %s", recordID, rec.ErasedAt.Format(time.RFC3339))
	}
	raw, err := ctx.State().GetPrivate(rec.Collection, recordID)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, codes.New(codes.NotFound, "the details of record %s are not held by this peer (collection %s)", recordID, rec.Collection)
	}
	var details consenttypes.RecordDetails
	if err := json.Unmarshal(raw, &details); err != nil {
		return nil, codes.New(codes.Internal, "decoding the details of record %s", recordID)
	}
	return ccutil.Sealed(ctx, "GetRecordDetails", &consenttypes.RecordDetailsView{RecordID: recordID, Collection: rec.Collection, URI: details.URI, Description: details.Description})
}

// RequestErasure lets the patient or a delegate ask the custodian (the registering organisation) to
// erase a record's private details. The reason is public: it must not hold PHI. Emits
// ErasureRequested.
func (s *Contract) RequestErasure(ctx txstate.Context, recordID, reason string) (*consenttypes.Record, error) {
	caller, err := callerOf(ctx, "RequestErasure")
	if err != nil {
		return nil, err
	}
	if err := consenttypes.CheckReason(reason); err != nil {
		return nil, err
	}
	rec, err := mustRecord(ctx, recordID)
	if err != nil {
		return nil, err
	}
	if _, err := s.requireManager(ctx, caller, rec.Patient, "RequestErasure"); err != nil {
		return nil, err
	}
	switch {
	case rec.Erased:
		return nil, codes.New(codes.Duplicate, "record %s is already erased", recordID)
	case rec.ErasureRequested:
		return nil, codes.New(codes.Duplicate, "the erasure of record %s is already requested", recordID)
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	party := partyOf(caller)
	rec.ErasureRequested, rec.ErasureRequestedAt, rec.ErasureRequestedBy = true, now, party
	return saveErasureStep(ctx, rec, reason, caller, now, consenttypes.EventErasureRequested)
}

// EraseRecord purges a record's private details with Fabric's private data purge and marks the public
// anchor erased (erasedAt, erasedBy, reason), so the record's history shows it; the hash stays and
// VerifyRecord keeps answering. Callers: the patient or a delegate at any time; a provider or
// pharmacist of the registering organisation once the patient requested it (PRECONDITION_FAILED
// before). Erasing twice fails with DUPLICATE. Emits RecordErased.
func (s *Contract) EraseRecord(ctx txstate.Context, recordID, reason string) (*consenttypes.Record, error) {
	caller, err := callerOf(ctx, "EraseRecord")
	if err != nil {
		return nil, err
	}
	if err := consenttypes.CheckReason(reason); err != nil {
		return nil, err
	}
	rec, err := mustRecord(ctx, recordID)
	if err != nil {
		return nil, err
	}
	rel, why, err := s.relationTo(ctx, caller, rec.Patient, "EraseRecord")
	if err != nil {
		return nil, err
	}
	if why != "" {
		return nil, codes.New(codes.Forbidden, "EraseRecord: %s", why)
	}
	custodian := isCustodian(caller, rec)
	if rel == relNone && !custodian {
		return nil, codes.New(codes.Forbidden, "EraseRecord: only patient %s, a delegate, or the custodian %s at the patient's request may erase record %s; caller is %s",
			rec.Patient, rec.RegisteredByMSP, recordID, partyOf(caller))
	}
	if rec.Erased {
		return nil, codes.New(codes.Duplicate, "record %s is already erased (at %s)", recordID, rec.ErasedAt.Format(time.RFC3339))
	}
	if rel == relNone && !rec.ErasureRequested {
		return nil, codes.New(codes.PreconditionFailed, "EraseRecord: the custodian may erase record %s only after the patient requested it (RequestErasure)", recordID)
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	ctx.State().PurgePrivate(rec.Collection, recordID)
	rec.Erased, rec.ErasedAt, rec.ErasedBy = true, now, partyOf(caller)
	return saveErasureStep(ctx, rec, reason, caller, now, consenttypes.EventRecordErased)
}

// saveErasureStep finishes RequestErasure and EraseRecord alike: it keeps the reason, stores the
// anchor, binds the caller's patient identity and emits event.
func saveErasureStep(ctx txstate.Context, rec *consenttypes.Record, reason string, caller ccutil.Caller, now time.Time, event string) (*consenttypes.Record, error) {
	if reason != "" {
		rec.EraseReason = reason
	}
	if err := putRecord(ctx, rec); err != nil {
		return nil, err
	}
	if err := ccutil.Emit(ctx, event, recordEvent(rec, partyOf(caller), now)); err != nil {
		return nil, err
	}
	return rec, nil
}

// ListRecordsByPatient returns one page of a patient's record anchors, ordered by id, to the patient, a
// delegate or an auditor.
func (s *Contract) ListRecordsByPatient(ctx txstate.Context, patient string, pageSize int, bookmark string) (*consenttypes.RecordPage, error) {
	caller, err := callerOf(ctx, "ListRecordsByPatient")
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("patient", patient); err != nil {
		return nil, err
	}
	if err := s.requireOwnerOrAuditor(ctx, caller, patient, "ListRecordsByPatient"); err != nil {
		return nil, err
	}
	page, err := listPage(ctx, objRecordByPatient, []string{patient}, pageSize, bookmark, func(key string, _ []byte) (consenttypes.Record, error) {
		id, err := lastAttr(ctx, key)
		if err != nil {
			return consenttypes.Record{}, err
		}
		rec, found, err := getRecord(ctx, id)
		if err != nil {
			return consenttypes.Record{}, err
		}
		if !found {
			return consenttypes.Record{}, codes.New(codes.Internal, "index entry %q names a missing record", key)
		}
		return *rec, nil
	})
	if err != nil {
		return nil, err
	}
	return &consenttypes.RecordPage{Items: page.Items, Bookmark: page.Bookmark}, nil
}

// isCustodian reports whether the caller is a provider or pharmacist of the registering organisation.
func isCustodian(c ccutil.Caller, rec *consenttypes.Record) bool {
	return c.MSPID == rec.RegisteredByMSP && c.Is(wire.RoleProvider, wire.RolePharmacist)
}

// readableRecord returns a record's anchor when the caller may read it.
func (s *Contract) readableRecord(ctx txstate.Context, caller ccutil.Caller, recordID, action string) (*consenttypes.Record, error) {
	rec, err := mustRecord(ctx, recordID)
	if err != nil {
		return nil, err
	}
	if caller.Role == wire.RoleAuditor || isCustodian(caller, rec) {
		return rec, nil
	}
	rel, _, err := s.relationTo(ctx, caller, rec.Patient, action)
	if err != nil {
		return nil, err
	}
	if rel != relNone {
		return rec, nil
	}
	if caller.Role != wire.RolePatient {
		consents, err := activeConsents(ctx, rec.Patient, caller.MSPID)
		if err != nil {
			return nil, err
		}
		now, err := ccutil.TxTime(ctx)
		if err != nil {
			return nil, err
		}
		if d, _ := decideAnyPurpose(consents, rec.Patient, granteeOf(caller), consenttypes.ActionAccess, rec.DataClass, now); d.Permitted() {
			return rec, nil
		}
	}
	return nil, codes.New(codes.Forbidden, "%s: %s may not read record %s", action, partyOf(caller), recordID)
}

func mustRecord(ctx txstate.Context, recordID string) (*consenttypes.Record, error) {
	if err := wire.CheckID("record id", recordID); err != nil {
		return nil, err
	}
	rec, found, err := getRecord(ctx, recordID)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, codes.New(codes.NotFound, "record %s", recordID)
	}
	return rec, nil
}

func getRecord(ctx txstate.Context, recordID string) (*consenttypes.Record, bool, error) {
	key, err := ctx.State().Key(objRecord, recordID)
	if err != nil {
		return nil, false, err
	}
	var rec consenttypes.Record
	found, err := ctx.State().GetJSON(key, &rec)
	if err != nil || !found {
		return nil, false, err
	}
	return &rec, true, nil
}

func putRecord(ctx txstate.Context, rec *consenttypes.Record) error {
	key, err := ctx.State().Key(objRecord, rec.ID)
	if err != nil {
		return err
	}
	return ctx.State().PutJSON(key, rec)
}

func recordEvent(rec *consenttypes.Record, by string, at time.Time) consenttypes.RecordEvent {
	return consenttypes.RecordEvent{RecordID: rec.ID, Patient: rec.Patient, DataClass: rec.DataClass, Collection: rec.Collection, By: by, At: at}
}
