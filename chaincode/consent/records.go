package consent

import (
	"crypto/sha256"
	"crypto/subtle"
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

// RegisterRecord anchors an off-chain health record in public state: its anchor (the hex HMAC-SHA256
// of the document keyed by the salt of its private details, consenttypes.Anchor), class, patient and
// detailsHash, the hex SHA-256 of its private details ({"uri","description","salt"}: the bytes that
// PutRecordDetails will store in the collection of the caller's organisation, consentRecords<MSPID>).
// It carries no private data, so every organisation's peers may endorse it. The caller must be a
// provider or pharmacist that some consent permits to collect that class for some purpose (deny
// overrides permit per purpose). Re-registering an id with the same anchor fails with DUPLICATE, with
// another with CONFLICT. Emits RecordRegistered.
func (s *Contract) RegisterRecord(ctx txstate.Context, recordID, patient, dataClass, anchor, detailsHash string) (*consenttypes.Record, error) {
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
	sum, err := consenttypes.CheckSHA256(anchor)
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
	// The consent decision comes first: it depends only on the arguments and the caller, so a caller
	// that may not collect this class of this patient learns nothing about the record id.
	consents, err := activeConsents(ctx, patient, caller.MSPID)
	if err != nil {
		return nil, err
	}
	d, purpose := decideAnyPurpose(consents, patient, granteeOf(caller), consenttypes.ActionCollect, class, now)
	if !d.Permitted() {
		return nil, codes.New(codes.Forbidden, "RegisterRecord: %s", d.Reason)
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
		// Record ids are one namespace: the id is taken, but whose record it is stays unsaid.
		return nil, codes.New(codes.Conflict, "record id %s is taken; choose another id", recordID)
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
// fails with DUPLICATE; an erased record takes none (PRECONDITION_FAILED). Details without a salt of at
// least consenttypes.MinSaltBytes random bytes are INVALID_ARGUMENT. A record id that does not exist or
// that the caller does not hold gets one answer (NOT_FOUND). It answers the public anchor.
func (s *Contract) PutRecordDetails(ctx txstate.Context, recordID string) (*consenttypes.Record, error) {
	caller, err := callerOf(ctx, "PutRecordDetails")
	if err != nil {
		return nil, err
	}
	if !caller.Is(wire.RoleProvider, wire.RolePharmacist) {
		return nil, codes.New(codes.Forbidden, "PutRecordDetails needs role provider or pharmacist; caller is %s", partyOf(caller))
	}
	if err := wire.CheckID("record id", recordID); err != nil {
		return nil, err
	}
	rec, err := hiddenRecord(ctx, recordID, "PutRecordDetails", func(rec *consenttypes.Record) (bool, error) { return isCustodian(caller, rec), nil })
	if err != nil {
		return nil, err
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

// VerifyRecord tells a caller with a consortium role whether anchor, the hex HMAC-SHA256 of a document
// keyed by the record's salt (consenttypes.Anchor), is the anchor record recordID was registered with.
// Only who holds the salt (the custodian, and whoever it hands the record to) can compute it, so a
// guessed document cannot be confirmed. A missing record answers mismatch, byte for byte as a
// registered one does, and whether the record is erased is told only on a match: the answer reveals
// nothing to a caller that does not hold the document and its salt.
func (s *Contract) VerifyRecord(ctx txstate.Context, recordID, anchor string) (*consenttypes.Verification, error) {
	caller, err := ccutil.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if caller.Role == "" {
		return nil, codes.New(codes.Forbidden, "VerifyRecord needs a certificate with a consortium role; caller of %s has none", caller.MSPID)
	}
	if err := wire.CheckID("record id", recordID); err != nil {
		return nil, err
	}
	sum, err := consenttypes.CheckSHA256(anchor)
	if err != nil {
		return nil, err
	}
	rec, found, err := getRecord(ctx, recordID)
	if err != nil {
		return nil, err
	}
	v := &consenttypes.Verification{RecordID: recordID, Result: consenttypes.Mismatch}
	if found && hmacEqual(rec.SHA256, sum) {
		v.Result, v.Erased = consenttypes.Match, rec.Erased
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
	if err := wire.CheckID("record id", recordID); err != nil {
		return nil, err
	}
	rec, err := hiddenRecord(ctx, recordID, "GetRecordDetails", func(rec *consenttypes.Record) (bool, error) {
		if isCustodian(caller, rec) {
			return true, nil
		}
		rel, _, err := s.relationTo(ctx, caller, rec.Patient, "GetRecordDetails")
		return rel != relNone, err
	})
	if err != nil {
		return nil, err
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
	return ccutil.Sealed(ctx, "GetRecordDetails", &consenttypes.RecordDetailsView{RecordID: recordID, Collection: rec.Collection, URI: details.URI, Description: details.Description, Salt: details.Salt})
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
	if err := wire.CheckID("record id", recordID); err != nil {
		return nil, err
	}
	rec, err := hiddenRecord(ctx, recordID, "RequestErasure", func(rec *consenttypes.Record) (bool, error) {
		rel, _, err := s.relationTo(ctx, caller, rec.Patient, "RequestErasure")
		return rel != relNone, err
	})
	if err != nil {
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
// anchor erased (erasedAt, erasedBy, reason), so the record's history shows it; the anchor stays and
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
	if err := wire.CheckID("record id", recordID); err != nil {
		return nil, err
	}
	rel := relNone
	rec, err := hiddenRecord(ctx, recordID, "EraseRecord", func(rec *consenttypes.Record) (bool, error) {
		r, _, err := s.relationTo(ctx, caller, rec.Patient, "EraseRecord")
		rel = r
		return r != relNone || isCustodian(caller, rec), err
	})
	if err != nil {
		return nil, err
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
// A missing record and a refused one get the same answer (hidden).
func (s *Contract) readableRecord(ctx txstate.Context, caller ccutil.Caller, recordID, action string) (*consenttypes.Record, error) {
	if err := wire.CheckID("record id", recordID); err != nil {
		return nil, err
	}
	return hiddenRecord(ctx, recordID, action, func(rec *consenttypes.Record) (bool, error) {
		if caller.Role == wire.RoleAuditor || isCustodian(caller, rec) {
			return true, nil
		}
		rel, _, err := s.relationTo(ctx, caller, rec.Patient, action)
		if err != nil || rel != relNone {
			return rel != relNone, err
		}
		if caller.Role == wire.RolePatient {
			return false, nil
		}
		consents, err := activeConsents(ctx, rec.Patient, caller.MSPID)
		if err != nil {
			return false, err
		}
		now, err := ccutil.TxTime(ctx)
		if err != nil {
			return false, err
		}
		d, _ := decideAnyPurpose(consents, rec.Patient, granteeOf(caller), consenttypes.ActionAccess, rec.DataClass, now)
		return d.Permitted(), nil
	})
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

// hmacEqual compares two lowercase hex anchors in constant time.
func hmacEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
