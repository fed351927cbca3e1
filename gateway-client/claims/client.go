// Package claims is the typed client of the healthledger claims chaincode: one method per
// transaction, context first, results as the wire types of package claimstypes.
//
// It checks its input locally where that is cheap (the validation the chaincode runs, except the
// "not in the future" date rule, which only the transaction time can decide), so an obviously bad
// request fails with an error matching sdk.ErrInvalidArgument without a round trip; the
// chaincode stays the authority. Queries are evaluated, state changes submitted.
//
// # Private data and endorsement
//
// Coverage terms, claim details and payments travel as transient data and are written to the private
// data collection claimstypes.Collection, whose members are the provider and insurer organisations
// only. Every call that changes a coverage or a claim therefore asks exactly those organisations to
// endorse it (the chaincode's policy is AND(provider org, insurer org)):
//   - RegisterCoverage and UpdateCoverage: the caller's organisation and the network's provider
//     organisation (MSPForRole("provider"));
//   - SubmitClaim: the caller's organisation and the claim's insurer organisation (the submission's
//     InsurerMSP, or the network's MSPForRole("insurer"));
//   - the life-cycle calls on an existing claim: its provider and insurer organisations, read from the
//     claim's public header (one evaluation, remembered for the client's lifetime: parties never
//     change).
//
// When the client was connected without a network description, RegisterCoverage and SubmitClaim leave
// the choice to the gateway, which also restricts private-data endorsements to collection members.
//
// Nonces: ClaimDetails and CoverageTerms carry a random nonce that keeps their public hash from being
// confirmed by guessing; the client draws one when the caller leaves it empty.
//
//	c, err := net.Connect(ctx, "provider1")
//	claims := claims.New(c)
//	h, err := claims.SubmitClaim(ctx, claimstypes.ClaimSubmission{ID: "clm-1", Patient: "pat-7f3a9c21",
//		CoverageID: "cov-1"}, details)
package claims

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// Chaincode is the name of the claims chaincode on the channel.
const Chaincode = "claims"

// maxRemembered bounds the parties the client remembers; past it the memory starts over.
const maxRemembered = 4096

// ErrDetailsMismatch is returned by VerifyClaimDetails when the private details do not hash to the
// public header's detailsHash.
var ErrDetailsMismatch = errors.New("claim details do not match the public hash")

// Client calls the claims chaincode as one identity. It is safe for concurrent use.
type Client struct {
	c *sdk.Client
	k *sdk.Contract

	mu      sync.Mutex
	parties map[string][2]string // claim id -> provider MSP, insurer MSP
}

// New returns a claims client over c.
func New(c *sdk.Client) *Client {
	return &Client{c: c, k: c.Contract(Chaincode), parties: map[string][2]string{}}
}

// RegisterCoverage records a member's coverage. The caller must hold the insurer role; it becomes the
// coverage's payer. The terms travel as transient data; the answer is the public header. The same id
// with the same terms fails with ErrDuplicate, with other terms with ErrConflict.
func (c *Client) RegisterCoverage(ctx context.Context, coverageID string, terms claimstypes.CoverageTerms) (*claimstypes.CoverageHeader, error) {
	return c.coverage(ctx, "RegisterCoverage", coverageID, terms)
}

// UpdateCoverage replaces the terms of a coverage, keeping its accumulators. Only its payer may.
func (c *Client) UpdateCoverage(ctx context.Context, coverageID string, terms claimstypes.CoverageTerms) (*claimstypes.CoverageHeader, error) {
	return c.coverage(ctx, "UpdateCoverage", coverageID, terms)
}

func (c *Client) coverage(ctx context.Context, fn, coverageID string, terms claimstypes.CoverageTerms) (*claimstypes.CoverageHeader, error) {
	if terms.Nonce == "" {
		n, err := NewNonce()
		if err != nil {
			return nil, fmt.Errorf("claims.%s: %w", fn, err)
		}
		terms.Nonce = n
	}
	terms = terms.Normalized()
	if err := local(fn, claimstypes.CheckID("coverage id", coverageID), terms.Validate()); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(terms)
	if err != nil {
		return nil, fmt.Errorf("claims.%s: encode the terms: %w", fn, err)
	}
	opts := []sdk.CallOption{sdk.WithTransient(map[string][]byte{claimstypes.TransientCoverage: raw})}
	if net := c.c.Network(); net != nil {
		opts = append(opts, sdk.WithEndorsingOrgs(orgs(c.c.Identity().MSPID, net.MSPForRole("provider"))...))
	}
	return sdk.SubmitJSON[claimstypes.CoverageHeader](ctx, c.k, fn, []string{coverageID}, opts...)
}

// GetCoverage returns a coverage's public header.
func (c *Client) GetCoverage(ctx context.Context, coverageID string) (*claimstypes.CoverageHeader, error) {
	if err := local("GetCoverage", claimstypes.CheckID("coverage id", coverageID)); err != nil {
		return nil, err
	}
	return sdk.EvaluateJSON[claimstypes.CoverageHeader](ctx, c.k, "GetCoverage", []string{coverageID})
}

// GetCoverageTerms returns a coverage's private terms and accumulators: its payer, its member and an
// auditor of the payer's organisation may read them. It is a sealed read (sdk.EvaluateSealed): the
// chaincode answers under a key drawn for the call, which the client opens.
func (c *Client) GetCoverageTerms(ctx context.Context, coverageID string) (*claimstypes.CoverageRecord, error) {
	if err := local("GetCoverageTerms", claimstypes.CheckID("coverage id", coverageID)); err != nil {
		return nil, err
	}
	rec, err := sdk.EvaluateSealedJSON[claimstypes.CoverageRecord](ctx, c.k, "GetCoverageTerms", []string{coverageID})
	if err != nil {
		return nil, err
	}
	rec.Accumulators = nonNil(rec.Accumulators)
	return rec, nil
}

// SubmitClaim submits a claim as the caller (a provider for a professional claim, a pharmacist for a
// pharmacy claim). The details travel as transient data; the answer is the public header. It fails
// with ErrForbidden without the patient's consent to disclose the claim to the insurer for payment,
// with ErrDuplicate when a live claim already bills the same services (its id is in the message), and
// with ErrPreconditionFailed when a drug unit was not dispensed by the caller's pharmacy or is
// recalled.
func (c *Client) SubmitClaim(ctx context.Context, sub claimstypes.ClaimSubmission, details claimstypes.ClaimDetails) (*claimstypes.ClaimHeader, error) {
	sub = sub.Normalized()
	raw, err := c.detailsPayload("SubmitClaim", details, claimTypeOf(c.c.Identity().Role), sub.Validate())
	if err != nil {
		return nil, err
	}
	doc, err := json.Marshal(sub)
	if err != nil {
		return nil, fmt.Errorf("claims.SubmitClaim: encode the header: %w", err)
	}
	opts := []sdk.CallOption{sdk.WithTransient(map[string][]byte{claimstypes.TransientClaim: raw})}
	insurer := sub.InsurerMSP
	if net := c.c.Network(); insurer == "" && net != nil {
		insurer = net.MSPForRole("insurer")
	}
	if insurer != "" {
		opts = append(opts, sdk.WithEndorsingOrgs(orgs(c.c.Identity().MSPID, insurer)...))
	}
	h, err := sdk.SubmitJSON[claimstypes.ClaimHeader](ctx, c.k, "SubmitClaim", []string{string(doc)}, opts...)
	if err != nil {
		return nil, err
	}
	c.remember(h)
	return h, nil
}

// detailsPayload fills in the nonce, checks the details locally and encodes them.
func (c *Client) detailsPayload(fn string, d claimstypes.ClaimDetails, claimType claimstypes.ClaimType, other error) ([]byte, error) {
	if d.Nonce == "" {
		n, err := NewNonce()
		if err != nil {
			return nil, fmt.Errorf("claims.%s: %w", fn, err)
		}
		d.Nonce = n
	}
	// The chaincode refuses dates after the transaction's; the local clock cannot decide that.
	if err := local(fn, other, d.Normalized().Validate(claimType, "9999-12-31")); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("claims.%s: encode the details: %w", fn, err)
	}
	return raw, nil
}

// GetClaim returns a claim's public header.
func (c *Client) GetClaim(ctx context.Context, claimID string) (*claimstypes.ClaimHeader, error) {
	if err := local("GetClaim", claimstypes.CheckID("claim id", claimID)); err != nil {
		return nil, err
	}
	h, err := sdk.EvaluateJSON[claimstypes.ClaimHeader](ctx, c.k, "GetClaim", []string{claimID})
	if err != nil {
		return nil, err
	}
	c.remember(h)
	return h, nil
}

// GetClaimDetails returns a claim's private record (details, adjudication, payment): its provider,
// its insurer and an auditor of either organisation may read it. It is a sealed read
// (sdk.EvaluateSealed).
func (c *Client) GetClaimDetails(ctx context.Context, claimID string) (*claimstypes.ClaimRecord, error) {
	if err := local("GetClaimDetails", claimstypes.CheckID("claim id", claimID)); err != nil {
		return nil, err
	}
	return sdk.EvaluateSealedJSON[claimstypes.ClaimRecord](ctx, c.k, "GetClaimDetails", []string{claimID})
}

// VerifyClaimDetails reads a claim's public header and private record and checks that the details
// hash to the header's detailsHash; it fails with ErrDetailsMismatch otherwise.
func (c *Client) VerifyClaimDetails(ctx context.Context, claimID string) (*claimstypes.ClaimRecord, error) {
	h, err := c.GetClaim(ctx, claimID)
	if err != nil {
		return nil, err
	}
	rec, err := c.GetClaimDetails(ctx, claimID)
	if err != nil {
		return nil, err
	}
	if got := claimstypes.HashDetails(rec.Details); got != h.DetailsHash {
		return nil, fmt.Errorf("claims.VerifyClaimDetails: claim %s: %w (header %s, details %s)", claimID, ErrDetailsMismatch, h.DetailsHash, got)
	}
	return rec, nil
}

// Pend asks the provider for information (insurer only). The reason is public: never put PHI in it.
func (c *Client) Pend(ctx context.Context, claimID, reason string) (*claimstypes.ClaimHeader, error) {
	return c.transition(ctx, "Pend", claimID, []string{claimID, reason}, nil, claimstypes.CheckReason(reason))
}

// Resubmit answers a pend with new details (the claim's provider only).
func (c *Client) Resubmit(ctx context.Context, claimID string, details claimstypes.ClaimDetails) (*claimstypes.ClaimHeader, error) {
	raw, err := c.detailsPayload("Resubmit", details, claimTypeOf(c.c.Identity().Role), claimstypes.CheckID("claim id", claimID))
	if err != nil {
		return nil, err
	}
	return c.transition(ctx, "Resubmit", claimID, []string{claimID}, map[string][]byte{claimstypes.TransientClaim: raw}, nil)
}

// Adjudicate has the chaincode compute the claim's outcome and update the coverage's accumulators
// (insurer only). The answer is the public header, with the outcome; the amounts are in
// GetClaimDetails.
func (c *Client) Adjudicate(ctx context.Context, claimID string) (*claimstypes.ClaimHeader, error) {
	return c.transition(ctx, "Adjudicate", claimID, []string{claimID}, nil, nil)
}

// Pay records the payment of an approved or partial claim (insurer only). amountCents must equal the
// adjudicated paid total. The amount and reference travel as transient data and stay private.
func (c *Client) Pay(ctx context.Context, claimID string, amountCents int64, paymentRef string) (*claimstypes.ClaimHeader, error) {
	p := claimstypes.PaymentInput{AmountCents: amountCents, PaymentRef: paymentRef}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("claims.Pay: encode the payment: %w", err)
	}
	return c.transition(ctx, "Pay", claimID, []string{claimID}, map[string][]byte{claimstypes.TransientPayment: raw}, p.Validate())
}

// Close ends a paid claim, or a denied one (insurer only).
func (c *Client) Close(ctx context.Context, claimID string) (*claimstypes.ClaimHeader, error) {
	return c.transition(ctx, "Close", claimID, []string{claimID}, nil, nil)
}

// Appeal asks once for a second adjudication of a denied claim (its provider only). The reason is
// public: never put PHI in it.
func (c *Client) Appeal(ctx context.Context, claimID, reason string) (*claimstypes.ClaimHeader, error) {
	return c.transition(ctx, "Appeal", claimID, []string{claimID, reason}, nil, claimstypes.CheckReason(reason))
}

// Void cancels a claim before adjudication (its provider only). The reason is public: never put PHI
// in it.
func (c *Client) Void(ctx context.Context, claimID, reason string) (*claimstypes.ClaimHeader, error) {
	return c.transition(ctx, "Void", claimID, []string{claimID, reason}, nil, claimstypes.CheckReason(reason))
}

// transition submits a life-cycle call, endorsed by the claim's two organisations.
func (c *Client) transition(ctx context.Context, fn, claimID string, args []string, transient map[string][]byte, check error) (*claimstypes.ClaimHeader, error) {
	if err := local(fn, claimstypes.CheckID("claim id", claimID), check); err != nil {
		return nil, err
	}
	parties, err := c.partiesOf(ctx, claimID)
	if err != nil {
		return nil, err
	}
	opts := []sdk.CallOption{sdk.WithEndorsingOrgs(orgs(parties[0], parties[1])...)}
	if transient != nil {
		opts = append(opts, sdk.WithTransient(transient))
	}
	return sdk.SubmitJSON[claimstypes.ClaimHeader](ctx, c.k, fn, args, opts...)
}

// partiesOf returns a claim's provider and insurer MSP ids, reading its header the first time.
func (c *Client) partiesOf(ctx context.Context, claimID string) ([2]string, error) {
	c.mu.Lock()
	p, ok := c.parties[claimID]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	h, err := c.GetClaim(ctx, claimID)
	if err != nil {
		return [2]string{}, err
	}
	return [2]string{h.ProviderMSP, h.InsurerMSP}, nil
}

func (c *Client) remember(h *claimstypes.ClaimHeader) {
	if h == nil || h.ID == "" || h.ProviderMSP == "" || h.InsurerMSP == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.parties) >= maxRemembered {
		c.parties = map[string][2]string{}
	}
	c.parties[h.ID] = [2]string{h.ProviderMSP, h.InsurerMSP}
}

// ListClaimsByProvider pages through a provider's claims (that provider and auditors). pageSize 0
// means the chaincode's default; an empty bookmark starts at the beginning.
func (c *Client) ListClaimsByProvider(ctx context.Context, providerMSP, provider string, pageSize int, bookmark string) (*claimstypes.ClaimPage, error) {
	if err := local("ListClaimsByProvider", claimstypes.CheckID("provider MSP id", providerMSP), claimstypes.CheckID("provider", provider), checkPageSize(pageSize)); err != nil {
		return nil, err
	}
	return c.page(ctx, "ListClaimsByProvider", providerMSP, provider, strconv.Itoa(pageSize), bookmark)
}

// ListClaimsByInsurer pages through the claims sent to an insurer organisation (its insurers and
// auditors).
func (c *Client) ListClaimsByInsurer(ctx context.Context, insurerMSP string, pageSize int, bookmark string) (*claimstypes.ClaimPage, error) {
	if err := local("ListClaimsByInsurer", claimstypes.CheckID("insurer MSP id", insurerMSP), checkPageSize(pageSize)); err != nil {
		return nil, err
	}
	return c.page(ctx, "ListClaimsByInsurer", insurerMSP, strconv.Itoa(pageSize), bookmark)
}

// ListClaimsByStatus pages through the claims in a status: an auditor sees all, an insurer its own
// organisation's.
func (c *Client) ListClaimsByStatus(ctx context.Context, status claimstypes.Status, pageSize int, bookmark string) (*claimstypes.ClaimPage, error) {
	var bad error
	if !status.Valid() {
		bad = fmt.Errorf("status %q is unknown", status)
	}
	if err := local("ListClaimsByStatus", bad, checkPageSize(pageSize)); err != nil {
		return nil, err
	}
	return c.page(ctx, "ListClaimsByStatus", string(status), strconv.Itoa(pageSize), bookmark)
}

func (c *Client) page(ctx context.Context, fn string, args ...string) (*claimstypes.ClaimPage, error) {
	p, err := sdk.EvaluateJSON[claimstypes.ClaimPage](ctx, c.k, fn, args)
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

// ClaimHistory returns every version of a claim's public header, oldest first.
func (c *Client) ClaimHistory(ctx context.Context, claimID string) ([]claimstypes.ClaimHistoryEntry, error) {
	if err := local("ClaimHistory", claimstypes.CheckID("claim id", claimID)); err != nil {
		return nil, err
	}
	h, err := sdk.EvaluateJSON[[]claimstypes.ClaimHistoryEntry](ctx, c.k, "ClaimHistory", []string{claimID})
	if err != nil {
		return nil, err
	}
	return nonNil(*h), nil
}

// DecodeEvent decodes a claims chaincode event into its typed payload: *claimstypes.ClaimEvent or
// *claimstypes.CoverageEvent, chosen by the event's name.
func DecodeEvent(e sdk.ChaincodeEvent) (any, error) {
	switch e.Name {
	case claimstypes.EventCoverageRegistered, claimstypes.EventCoverageUpdated:
		return sdk.DecodeEvent[claimstypes.CoverageEvent](e)
	case claimstypes.EventClaimSubmitted, claimstypes.EventClaimPended, claimstypes.EventClaimResubmitted, claimstypes.EventClaimAdjudicated,
		claimstypes.EventClaimPaid, claimstypes.EventClaimClosed, claimstypes.EventClaimVoided, claimstypes.EventClaimAppealed:
		return sdk.DecodeEvent[claimstypes.ClaimEvent](e)
	}
	return nil, fmt.Errorf("claims: unknown event %q", e.Name)
}

// NewNonce draws a random nonce for ClaimDetails or CoverageTerms: 32 random bytes, in hex.
func NewNonce() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("draw a nonce: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// claimTypeOf is the claim type the chaincode gives a submitter of this role.
func claimTypeOf(role string) claimstypes.ClaimType {
	if role == "pharmacist" {
		return claimstypes.ClaimPharmacy
	}
	return claimstypes.ClaimProfessional
}

// orgs returns the distinct, non-empty MSP ids.
func orgs(ids ...string) []string {
	out := []string{}
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func checkPageSize(n int) error {
	if n < 0 || n > 500 {
		return fmt.Errorf("page size %d is outside 0..500", n)
	}
	return nil
}

// local wraps the first failed local check as an invalid argument of fn.
func local(fn string, errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("claims.%s: %w: %w", fn, sdk.ErrInvalidArgument, err)
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
