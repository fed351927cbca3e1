package claims

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
)

// The composite-key object types. Public world state:
const (
	objCoverage   = "claims.coverage"   // [coverageId] -> CoverageHeader
	objClaim      = "claims.claim"      // [claimId] -> ClaimHeader
	objByProvider = "claims.byProvider" // [providerMsp, provider, claimId] -> marker
	objByInsurer  = "claims.byInsurer"  // [insurerMsp, claimId] -> marker
	objByStatus   = "claims.byStatus"   // [status, insurerMsp, claimId] -> marker
)

// Private data (collection ct.Collection):
const (
	objCoverageRecord = "claims.pcoverage" // [coverageId] -> CoverageRecord
	objClaimRecord    = "claims.pclaim"    // [claimId] -> claimState
	objPepper         = "claims.pepper"    // [] -> pepperState
	objClaimFP        = "claims.fp"        // [claim fingerprint] -> indexEntry
	objLineFP         = "claims.line"      // [line fingerprint] -> indexEntry
	objUnitFP         = "claims.unit"      // [unit fingerprint] -> indexEntry
)

// claimState is the private record of a claim as stored: the record GetClaimDetails answers, plus the
// duplicate-index keys the claim holds, so that a void, replacement or re-adjudication releases them.
type claimState struct {
	Record      claimstypes.ClaimRecord `json:"record"`
	Fingerprint string                  `json:"fingerprint,omitempty"` // a void (frequency 8) claim's is kept, not held in the index
	UnitFPs     []string                `json:"unitFps,omitempty"`
	LineFPs     []string                `json:"lineFps,omitempty"` // lines indexed by the last adjudication
}

// indexEntry is the value of a duplicate-index key: the claim holding it.
type indexEntry struct {
	ClaimID string `json:"claimId"`
}

// pepperState holds the collection-wide secret that keys every fingerprint. Fabric writes the sha256
// of every private key and value into the block, which every channel member receives; a fingerprint
// of low-entropy facts (provider, patient, codes, dates, charges) would let a non-member confirm a
// guess by hashing it. Keyed by a secret that only collection members hold, it cannot be guessed.
type pepperState struct {
	Pepper string `json:"pepper"`
}

// store reads and writes the claims records in the transaction's state (txstate): public headers and
// indexes, and the private records of collection claimstypes.Collection.
type store struct {
	*txstate.State
}

func newStore(ctx txstate.Context) *store {
	return &store{State: ctx.State()}
}

// getPrivate reads a key of the claims collection into v; false when absent.
func (s *store) getPrivate(key string, v any) (bool, error) {
	return s.GetPrivateJSON(claimstypes.Collection, key, v)
}

// putPrivate writes v under a key of the claims collection.
func (s *store) putPrivate(key string, v any) error {
	return s.PutPrivateJSON(claimstypes.Collection, key, v)
}

// pepper returns the collection's fingerprint secret, or PRECONDITION_FAILED when no coverage created
// it yet.
func (s *store) pepper() ([]byte, error) {
	k, err := s.Key(objPepper)
	if err != nil {
		return nil, err
	}
	var p pepperState
	ok, err := s.getPrivate(k, &p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, codes.New(codes.PreconditionFailed, "no coverage has been registered yet: the claims collection is not initialized")
	}
	raw, err := hex.DecodeString(p.Pepper)
	if err != nil || len(raw) != sha256.Size {
		return nil, codes.New(codes.Internal, "the claims collection's fingerprint secret is corrupt")
	}
	return raw, nil
}

// ensurePepper creates the fingerprint secret on the first coverage registration, derived from that
// coverage's random nonce (which only the insurer and the collection members ever see) and the
// transaction id. Concurrent first registrations conflict on the key; one of them is invalidated.
func (s *store) ensurePepper(nonce, txID string) error {
	k, err := s.Key(objPepper)
	if err != nil {
		return err
	}
	var p pepperState
	ok, err := s.getPrivate(k, &p)
	if err != nil || ok {
		return err
	}
	mac := hmac.New(sha256.New, []byte(nonce))
	mac.Write([]byte("healthledger/claims/pepper\x00" + txID))
	return s.putPrivate(k, pepperState{Pepper: hex.EncodeToString(mac.Sum(nil))})
}

// fingerprint is the hex HMAC-SHA256 under pepper of the NUL-separated parts.
func fingerprint(pepper []byte, parts ...string) string {
	mac := hmac.New(sha256.New, pepper)
	for _, p := range parts {
		mac.Write([]byte(p))
		mac.Write([]byte{0})
	}
	return hex.EncodeToString(mac.Sum(nil))
}

// claimFingerprint identifies a claim for duplicate detection: provider, patient and, for every line
// in a canonical order, code, date of service, charge and unit. Line order and quantity/unit-price
// splits of the same charge do not change it.
func claimFingerprint(pepper []byte, providerMSP, provider, patient string, d claimstypes.ClaimDetails) string {
	lines := make([]string, 0, len(d.Lines))
	for _, l := range d.Lines {
		lines = append(lines, strings.Join([]string{l.Code, l.ServiceDate, strconv.FormatInt(l.ChargeCents(), 10), unitString(l.Unit)}, "|"))
	}
	slices.Sort(lines)
	return fingerprint(pepper, append([]string{"claim", providerMSP, provider, patient}, lines...)...)
}

// lineFingerprint identifies one service for the line-level duplicate check of adjudication: an exact
// duplicate is the same provider, patient, code, date, quantity, unit charge and unit.
func lineFingerprint(pepper []byte, providerMSP, provider, patient string, l claimstypes.ServiceLine) string {
	return fingerprint(pepper, "line", providerMSP, provider, patient, l.Code, l.ServiceDate,
		strconv.FormatInt(l.Quantity, 10), strconv.FormatInt(l.UnitChargeCents, 10), unitString(l.Unit))
}

// unitFingerprint identifies a dispensed unit: it may be claimed once, whoever the patient.
func unitFingerprint(pepper []byte, u claimstypes.UnitRef) string {
	return fingerprint(pepper, "unit", u.GTIN, u.Serial)
}

func unitString(u *claimstypes.UnitRef) string {
	if u == nil {
		return ""
	}
	return u.GTIN + "/" + u.Serial
}

// loadClaim reads a claim header, NOT_FOUND when absent.
func (s *store) loadClaim(id string) (*claimstypes.ClaimHeader, error) {
	k, err := s.Key(objClaim, id)
	if err != nil {
		return nil, err
	}
	var h claimstypes.ClaimHeader
	ok, err := s.GetJSON(k, &h)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, codes.New(codes.NotFound, "claim %s", id)
	}
	return &h, nil
}

// saveClaim writes a claim header and keeps its indexes: prev is the stored version, nil for a new
// claim.
func (s *store) saveClaim(prev *claimstypes.ClaimHeader, h *claimstypes.ClaimHeader) error {
	k, err := s.Key(objClaim, h.ID)
	if err != nil {
		return err
	}
	if err := s.PutJSON(k, h); err != nil {
		return err
	}
	if prev == nil {
		pk, err := s.Key(objByProvider, h.ProviderMSP, h.Provider, h.ID)
		if err != nil {
			return err
		}
		ik, err := s.Key(objByInsurer, h.InsurerMSP, h.ID)
		if err != nil {
			return err
		}
		s.PutMarker(pk)
		s.PutMarker(ik)
	}
	if prev == nil || prev.Status != h.Status {
		if prev != nil {
			old, err := s.Key(objByStatus, string(prev.Status), prev.InsurerMSP, prev.ID)
			if err != nil {
				return err
			}
			s.Del(old)
		}
		nk, err := s.Key(objByStatus, string(h.Status), h.InsurerMSP, h.ID)
		if err != nil {
			return err
		}
		s.PutMarker(nk)
	}
	return nil
}

// loadClaimState reads a claim's private record; INTERNAL when the header exists but the record does
// not (this peer lacks the private data).
func (s *store) loadClaimState(id string) (*claimState, error) {
	k, err := s.Key(objClaimRecord, id)
	if err != nil {
		return nil, err
	}
	var cs claimState
	ok, err := s.getPrivate(k, &cs)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, codes.New(codes.Unavailable, "the details of claim %s are not on this peer", id)
	}
	return &cs, nil
}

func (s *store) saveClaimState(cs *claimState) error {
	k, err := s.Key(objClaimRecord, cs.Record.ClaimID)
	if err != nil {
		return err
	}
	return s.putPrivate(k, cs)
}

// loadCoverage reads a coverage header, NOT_FOUND when absent.
func (s *store) loadCoverage(id string) (*claimstypes.CoverageHeader, error) {
	k, err := s.Key(objCoverage, id)
	if err != nil {
		return nil, err
	}
	var h claimstypes.CoverageHeader
	ok, err := s.GetJSON(k, &h)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, codes.New(codes.NotFound, "coverage %s", id)
	}
	return &h, nil
}

// loadCoverageRecord reads a coverage's private terms and accumulators.
func (s *store) loadCoverageRecord(id string) (*claimstypes.CoverageRecord, error) {
	k, err := s.Key(objCoverageRecord, id)
	if err != nil {
		return nil, err
	}
	var r claimstypes.CoverageRecord
	ok, err := s.getPrivate(k, &r)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, codes.New(codes.Unavailable, "the terms of coverage %s are not on this peer", id)
	}
	if r.Accumulators == nil {
		r.Accumulators = []claimstypes.Accumulator{}
	}
	return &r, nil
}

func (s *store) saveCoverageRecord(r *claimstypes.CoverageRecord) error {
	k, err := s.Key(objCoverageRecord, r.CoverageID)
	if err != nil {
		return err
	}
	return s.putPrivate(k, r)
}

// indexHolder returns the claim holding a duplicate-index key, "" when free.
func (s *store) indexHolder(objectType, fp string) (string, error) {
	k, err := s.Key(objectType, fp)
	if err != nil {
		return "", err
	}
	var e indexEntry
	ok, err := s.getPrivate(k, &e)
	if err != nil || !ok {
		return "", err
	}
	return e.ClaimID, nil
}

func (s *store) holdIndex(objectType, fp, claimID string) error {
	k, err := s.Key(objectType, fp)
	if err != nil {
		return err
	}
	return s.putPrivate(k, indexEntry{ClaimID: claimID})
}

// releaseIndex frees a duplicate-index key if claimID holds it.
func (s *store) releaseIndex(objectType, fp, claimID string) error {
	holder, err := s.indexHolder(objectType, fp)
	if err != nil {
		return err
	}
	if holder == claimID {
		k, err := s.Key(objectType, fp)
		if err != nil {
			return err
		}
		s.DelPrivate(claimstypes.Collection, k)
	}
	return nil
}

// releaseSubmission frees the claim and unit fingerprints a claim holds.
func (s *store) releaseSubmission(cs *claimState) error {
	if cs.Fingerprint != "" {
		if err := s.releaseIndex(objClaimFP, cs.Fingerprint, cs.Record.ClaimID); err != nil {
			return err
		}
	}
	for _, fp := range cs.UnitFPs {
		if err := s.releaseIndex(objUnitFP, fp, cs.Record.ClaimID); err != nil {
			return err
		}
	}
	cs.Fingerprint, cs.UnitFPs = "", nil
	return nil
}

// releaseLines frees the line fingerprints of a claim's last adjudication.
func (s *store) releaseLines(cs *claimState) error {
	for _, fp := range cs.LineFPs {
		if err := s.releaseIndex(objLineFP, fp, cs.Record.ClaimID); err != nil {
			return err
		}
	}
	cs.LineFPs = nil
	return nil
}
