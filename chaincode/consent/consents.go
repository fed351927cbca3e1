package consent

import (
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// Grant records a new consent of a patient, given as one JSON document (consenttypes.Consent). Only the
// patient or a delegate the patient recorded may grant. The chaincode sets status active, version 1,
// the grantor and the created/updated fields. Re-granting an existing id with the same terms fails
// with DUPLICATE, with other terms with CONFLICT. Emits ConsentGranted.
func (s *Contract) Grant(ctx txstate.Context, consentJSON string) (*consenttypes.Consent, error) {
	caller, err := callerOf(ctx, "Grant")
	if err != nil {
		return nil, err
	}
	c, err := parseConsent(consentJSON)
	if err != nil {
		return nil, err
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkNotEnded(c, now); err != nil {
		return nil, err
	}
	if _, err := s.requireManager(ctx, caller, c.Patient, "Grant"); err != nil {
		return nil, err
	}
	existing, found, err := getConsent(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if found {
		if existing.Patient != c.Patient {
			// Consent ids are one namespace: the id is taken, but by whom and how stays unsaid.
			return nil, codes.New(codes.Conflict, "consent id %s is taken; choose another id", c.ID)
		}
		if existing.Status == consenttypes.StatusActive && existing.SameTerms(c) {
			return nil, codes.New(codes.Duplicate, "consent %s is already granted with these terms (version %d)", c.ID, existing.Version)
		}
		return nil, codes.New(codes.Conflict, "consent %s already exists (status %s, version %d) with other terms; use Update", c.ID, existing.Status, existing.Version)
	}
	g, _ := c.GranteeOf() // validated by parseConsent
	if err := checkRoom(ctx, c.Patient, g.MSPID); err != nil {
		return nil, err
	}
	party := partyOf(caller)
	c.Status = consenttypes.StatusActive
	c.Version = 1
	c.Grantor = party
	c.CreatedAt, c.CreatedBy = now, party
	c.UpdatedAt, c.UpdatedBy = now, party
	c.RevokedAt, c.RevokedBy, c.RevokeReason = time.Time{}, "", ""
	if err := putConsent(ctx, c, nil); err != nil {
		return nil, err
	}
	if err := ccutil.Emit(ctx, consenttypes.EventConsentGranted, consentEvent(c, party, now)); err != nil {
		return nil, err
	}
	return c, nil
}

// Update replaces the terms of an active consent and bumps its version; the old versions stay readable
// through ConsentHistory. The patient may not change. A non-zero version in the document must equal
// the current one (CONFLICT otherwise); identical terms fail with DUPLICATE. Emits ConsentUpdated.
func (s *Contract) Update(ctx txstate.Context, consentJSON string) (*consenttypes.Consent, error) {
	caller, err := callerOf(ctx, "Update")
	if err != nil {
		return nil, err
	}
	c, err := parseConsent(consentJSON)
	if err != nil {
		return nil, err
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.requireManager(ctx, caller, c.Patient, "Update"); err != nil {
		return nil, err
	}
	old, found, err := getConsent(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if !found || old.Patient != c.Patient {
		// A consent of another patient is reported as absent: the caller manages only c.Patient.
		return nil, codes.New(codes.NotFound, "consent %s of patient %s", c.ID, c.Patient)
	}
	if old.Status != consenttypes.StatusActive {
		return nil, codes.New(codes.PreconditionFailed, "consent %s is %s (revoked); grant a new consent instead", c.ID, old.Status)
	}
	if old.SameTerms(c) {
		return nil, codes.New(codes.Duplicate, "consent %s already has these terms (version %d)", c.ID, old.Version)
	}
	if c.Version != 0 && c.Version != old.Version {
		return nil, codes.New(codes.Conflict, "consent %s is at version %d, the update was made against version %d", c.ID, old.Version, c.Version)
	}
	if err := checkNotEnded(c, now); err != nil {
		return nil, err
	}
	oldG, _ := old.GranteeOf()
	newG, _ := c.GranteeOf()
	if oldG.MSPID != newG.MSPID {
		if err := checkRoom(ctx, c.Patient, newG.MSPID); err != nil {
			return nil, err
		}
	}
	party := partyOf(caller)
	c.Status = consenttypes.StatusActive
	c.Version = old.Version + 1
	c.Grantor = party
	c.CreatedAt, c.CreatedBy = old.CreatedAt, old.CreatedBy
	c.UpdatedAt, c.UpdatedBy = now, party
	c.RevokedAt, c.RevokedBy, c.RevokeReason = time.Time{}, "", ""
	if err := putConsent(ctx, c, old); err != nil {
		return nil, err
	}
	if err := ccutil.Emit(ctx, consenttypes.EventConsentUpdated, consentEvent(c, party, now)); err != nil {
		return nil, err
	}
	return c, nil
}

// Revoke ends an active consent: status inactive, version bumped, revokedAt/By/Reason set. It stops
// counting in decisions from the next transaction on. The reason is public: it must not hold PHI.
// Revoking a revoked consent fails with DUPLICATE. Emits ConsentRevoked.
func (s *Contract) Revoke(ctx txstate.Context, consentID string, reason string) (*consenttypes.Consent, error) {
	caller, err := callerOf(ctx, "Revoke")
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("consent id", consentID); err != nil {
		return nil, err
	}
	if err := consenttypes.CheckReason(reason); err != nil {
		return nil, err
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	old, found, err := getConsent(ctx, consentID)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, hidden("Revoke", "consent", consentID)
	}
	// A caller that does not manage the consent's patient gets the answer of a missing consent.
	if rel, _, err := s.relationTo(ctx, caller, old.Patient, "Revoke"); err != nil {
		return nil, err
	} else if rel == relNone {
		return nil, hidden("Revoke", "consent", consentID)
	}
	if old.Status != consenttypes.StatusActive {
		return nil, codes.New(codes.Duplicate, "consent %s is already revoked (at %s)", consentID, old.RevokedAt.Format(time.RFC3339))
	}
	party := partyOf(caller)
	c := *old
	c.Status = consenttypes.StatusInactive
	c.Version = old.Version + 1
	c.UpdatedAt, c.UpdatedBy = now, party
	c.RevokedAt, c.RevokedBy, c.RevokeReason = now, party, reason
	if err := putConsent(ctx, &c, old); err != nil {
		return nil, err
	}
	if err := ccutil.Emit(ctx, consenttypes.EventConsentRevoked, consentEvent(&c, party, now)); err != nil {
		return nil, err
	}
	return &c, nil
}

// GetConsent returns the current version of a consent to the patient, a delegate, an auditor, or a
// non-patient caller the consent's grantee covers.
func (s *Contract) GetConsent(ctx txstate.Context, consentID string) (*consenttypes.Consent, error) {
	caller, err := callerOf(ctx, "GetConsent")
	if err != nil {
		return nil, err
	}
	c, err := s.readableConsent(ctx, caller, consentID, "GetConsent")
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ConsentHistory returns every version of a consent, oldest first, to whoever may read the consent.
func (s *Contract) ConsentHistory(ctx txstate.Context, consentID string) ([]consenttypes.ConsentVersion, error) {
	caller, err := callerOf(ctx, "ConsentHistory")
	if err != nil {
		return nil, err
	}
	if _, err := s.readableConsent(ctx, caller, consentID, "ConsentHistory"); err != nil {
		return nil, err
	}
	key, err := ctx.State().Key(objConsent, consentID)
	if err != nil {
		return nil, err
	}
	hist, err := ccutil.History[consenttypes.Consent](ctx, key)
	if err != nil {
		return nil, err
	}
	out := make([]consenttypes.ConsentVersion, 0, len(hist))
	for _, h := range hist {
		out = append(out, consenttypes.ConsentVersion{TxID: h.TxID, Timestamp: h.Timestamp, IsDelete: h.IsDelete, Value: h.Value})
	}
	return out, nil
}

// ListConsentsByPatient returns one page of a patient's consents (every status), ordered by id, to the
// patient, a delegate or an auditor. pageSize 0 means the default.
func (s *Contract) ListConsentsByPatient(ctx txstate.Context, patient string, pageSize int, bookmark string) (*consenttypes.ConsentPage, error) {
	caller, err := callerOf(ctx, "ListConsentsByPatient")
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("patient", patient); err != nil {
		return nil, err
	}
	if err := s.requireOwnerOrAuditor(ctx, caller, patient, "ListConsentsByPatient"); err != nil {
		return nil, err
	}
	page, err := listPage(ctx, objConsentByPatient, []string{patient}, pageSize, bookmark, consentFromIndex(ctx))
	if err != nil {
		return nil, err
	}
	return &consenttypes.ConsentPage{Items: page.Items, Bookmark: page.Bookmark}, nil
}

// ListConsentsByGrantee returns one page of the consents (every status) whose grantee is the given one
// or narrower: "<MSP>" lists every consent naming that organisation, "<MSP>/<role>" those naming the
// role or one of its individuals, "<MSP>/<role>/<subject>" those naming that individual. Ordered by
// role, subject, then id. Callers: an auditor, or a non-patient member of the grantee's organisation.
func (s *Contract) ListConsentsByGrantee(ctx txstate.Context, grantee string, pageSize int, bookmark string) (*consenttypes.ConsentPage, error) {
	caller, err := callerOf(ctx, "ListConsentsByGrantee")
	if err != nil {
		return nil, err
	}
	g, err := consenttypes.ParseGrantee(grantee)
	if err != nil {
		return nil, err
	}
	if caller.Role != wire.RoleAuditor && (caller.Role == wire.RolePatient || caller.MSPID != g.MSPID) {
		return nil, codes.New(codes.Forbidden, "ListConsentsByGrantee: only an auditor or a non-patient member of %s may list its consents; caller is %s", g.MSPID, partyOf(caller))
	}
	attrs := []string{g.MSPID}
	if g.Role != "" {
		attrs = append(attrs, g.Role)
	}
	if g.Subject != "" {
		attrs = append(attrs, g.Subject)
	}
	page, err := listPage(ctx, objConsentByGrantee, attrs, pageSize, bookmark, consentFromIndex(ctx))
	if err != nil {
		return nil, err
	}
	return &consenttypes.ConsentPage{Items: page.Items, Bookmark: page.Bookmark}, nil
}

// parseConsent decodes, normalizes and validates a consent document. The guard bounded its raw size
// (consenttypes.MaxConsentBytes); its lists are bounded (CheckSize) before Normalize works on them.
func parseConsent(consentJSON string) (*consenttypes.Consent, error) {
	var c consenttypes.Consent
	if err := wire.DecodeStrict("the consent", []byte(consentJSON), &c); err != nil {
		return nil, err
	}
	if err := c.CheckSize(); err != nil {
		return nil, err
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// checkNotEnded refuses a consent whose period is already over: it could never count.
func checkNotEnded(c *consenttypes.Consent, now time.Time) error {
	if !c.Period.End.IsZero() && !c.Period.End.After(now) {
		return codes.New(codes.InvalidArgument, "consent %s: the period ended at %s, before this transaction (%s)", c.ID,
			c.Period.End.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return nil
}

// checkRoom refuses a new active consent when the patient already holds the maximum for that grantee
// organisation: the bound that keeps every decision's cost constant.
func checkRoom(ctx txstate.Context, patient, mspID string) error {
	iter, err := ctx.GetStub().GetStateByPartialCompositeKey(objConsentByPatGrOrg, []string{patient, mspID})
	if err != nil {
		return codes.New(codes.Internal, "counting the consents of %s for %s: %v", patient, mspID, err)
	}
	defer iter.Close()
	n := 0
	for iter.HasNext() {
		if _, err := iter.Next(); err != nil {
			return codes.New(codes.Internal, "counting the consents of %s for %s: %v", patient, mspID, err)
		}
		n++
	}
	if n >= consenttypes.MaxActivePerGrantee {
		return codes.New(codes.PreconditionFailed, "patient %s already holds %d active consents for %s (the maximum); revoke expired or unneeded ones first",
			patient, n, mspID)
	}
	return nil
}

// getConsent reads a consent by id.
func getConsent(ctx txstate.Context, id string) (*consenttypes.Consent, bool, error) {
	key, err := ctx.State().Key(objConsent, id)
	if err != nil {
		return nil, false, err
	}
	var c consenttypes.Consent
	found, err := ctx.State().GetJSON(key, &c)
	if err != nil || !found {
		return nil, false, err
	}
	return &c, true, nil
}

// putConsent writes c and keeps the indexes in step with it; old is the previous version or nil.
func putConsent(ctx txstate.Context, c, old *consenttypes.Consent) error {
	key, err := ctx.State().Key(objConsent, c.ID)
	if err != nil {
		return err
	}
	if err := ctx.State().PutJSON(key, c); err != nil {
		return err
	}
	g, err := c.GranteeOf()
	if err != nil {
		return err
	}
	if old != nil {
		og, err := old.GranteeOf()
		if err != nil {
			return err
		}
		if og.MSPID != g.MSPID || c.Status != consenttypes.StatusActive {
			if err := delKey(ctx, objConsentByPatGrOrg, old.Patient, og.MSPID, old.ID); err != nil {
				return err
			}
		}
		if og != g {
			if err := delKey(ctx, objConsentByGrantee, og.MSPID, og.Role, og.Subject, old.ID); err != nil {
				return err
			}
		}
	}
	if c.Status == consenttypes.StatusActive {
		ikey, err := ctx.State().Key(objConsentByPatGrOrg, c.Patient, g.MSPID, c.ID)
		if err != nil {
			return err
		}
		if err := ctx.State().PutJSON(ikey, c); err != nil {
			return err
		}
	}
	if old == nil {
		if err := putMarker(ctx, objConsentByPatient, c.Patient, c.ID); err != nil {
			return err
		}
	} else if og, _ := old.GranteeOf(); og == g {
		return nil
	}
	return putMarker(ctx, objConsentByGrantee, g.MSPID, g.Role, g.Subject, c.ID)
}

// readableConsent returns a consent when the caller may read it: the patient, a delegate, an auditor,
// or a caller that the consent's grantee covers (a patient only when named individually).
func (s *Contract) readableConsent(ctx txstate.Context, caller ccutil.Caller, id, action string) (*consenttypes.Consent, error) {
	if err := wire.CheckID("consent id", id); err != nil {
		return nil, err
	}
	c, found, err := getConsent(ctx, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, hidden(action, "consent", id)
	}
	if caller.Role == wire.RoleAuditor {
		return c, nil
	}
	if g, err := c.GranteeOf(); err == nil && g.Covers(granteeOf(caller)) &&
		(caller.Role != wire.RolePatient || g.Subject == caller.Subject) {
		return c, nil
	}
	rel, _, err := s.relationTo(ctx, caller, c.Patient, action)
	if err != nil {
		return nil, err
	}
	if rel == relNone {
		// The same answer as for a missing consent: nothing tells the caller the id exists.
		return nil, hidden(action, "consent", id)
	}
	return c, nil
}

// consentFromIndex decodes an index entry whose last key attribute is a consent id.
func consentFromIndex(ctx txstate.Context) func(string, []byte) (consenttypes.Consent, error) {
	return func(key string, _ []byte) (consenttypes.Consent, error) {
		id, err := lastAttr(ctx, key)
		if err != nil {
			return consenttypes.Consent{}, err
		}
		c, found, err := getConsent(ctx, id)
		if err != nil {
			return consenttypes.Consent{}, err
		}
		if !found {
			return consenttypes.Consent{}, codes.New(codes.Internal, "index entry %q names a missing consent", key)
		}
		return *c, nil
	}
}

func consentEvent(c *consenttypes.Consent, by string, at time.Time) consenttypes.ConsentEvent {
	return consenttypes.ConsentEvent{ConsentID: c.ID, Patient: c.Patient, Grantee: c.Grantee, Decision: c.Decision,
		Status: c.Status, Version: c.Version, By: by, At: at}
}
