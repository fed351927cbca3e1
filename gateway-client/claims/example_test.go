package claims_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/healthledger/healthledger/gateway-client/claims"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
)

// claimsLedger answers SubmitClaim as the claims chaincode does, for one coverage (cov-1, paid by
// InsurerMSP): the patient must have consented to disclose claims to the insurer for payment, and a
// claim that bills the same services as a live one is a duplicate.
type claimsLedger struct {
	mu        sync.Mutex
	consented map[string]bool   // patients who consented
	billed    map[string]string // services billed: the claim that billed them
}

func (l *claimsLedger) handle(_ context.Context, call sdktest.Call) ([]byte, error) {
	if call.Function != "SubmitClaim" {
		return nil, codes.New(codes.InvalidArgument, "unknown function %s", call.Function)
	}
	var sub claimstypes.ClaimSubmission
	if err := wire.DecodeStrict("claim", []byte(call.Args[0]), &sub); err != nil {
		return nil, err
	}
	var d claimstypes.ClaimDetails
	if err := wire.DecodeStrict("claim details", call.Transient[claimstypes.TransientClaim], &d); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if sub.CoverageID != "cov-1" {
		return nil, codes.New(codes.NotFound, "coverage %s", sub.CoverageID)
	}
	if !l.consented[sub.Patient] {
		return nil, codes.New(codes.Forbidden, "patient %s has not consented to disclose claims to InsurerMSP for payment", sub.Patient)
	}
	services := []string{sub.Patient}
	for _, line := range d.Normalized().Lines {
		services = append(services, line.Code+"@"+line.ServiceDate)
	}
	key := strings.Join(services, "|")
	if first, ok := l.billed[key]; ok {
		return nil, codes.New(codes.Duplicate, "claim %s duplicates claim %s", sub.ID, first)
	}
	l.billed[key] = sub.ID
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	return json.Marshal(claimstypes.ClaimHeader{
		ID: sub.ID, ClaimType: claimstypes.ClaimProfessional, ProviderMSP: call.Caller.MSPID, Provider: call.Caller.Subject,
		Patient: sub.Patient, InsurerMSP: "InsurerMSP", Insurer: "PAYER-0001", CoverageID: sub.CoverageID,
		Status: claimstypes.StatusSubmitted, FrequencyCode: sub.Normalized().FrequencyCode,
		DetailsHash: claimstypes.HashDetails(d), SubmittedAt: at, UpdatedAt: at,
	})
}

// A provider's billing system submits a claim. The diagnoses and charges travel as transient data
// and stay off the public ledger; the public header carries their hash, which the provider can later
// check the details against.
func ExampleClient_SubmitClaim() {
	ledger := &claimsLedger{consented: map[string]bool{"pat-7f3a9c21": true}, billed: map[string]string{}}
	c, err := sdktest.NewClient(ledger.handle,
		sdk.IdentityInfo{Name: "provider1", MSPID: "HospitalMSP", Role: "provider", Subject: "1003000126"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	billing := claims.New(c)
	ctx := context.Background()

	visit := claimstypes.ClaimDetails{
		Diagnoses:  []string{"E11.9"},
		Lines:      []claimstypes.ServiceLine{{Code: "99213", ServiceDate: "2025-02-27", Quantity: 1, UnitChargeCents: 15_000}},
		TotalCents: 15_000,
	}
	// The nonce hides the details behind the public hash; the provider keeps it with the details.
	if visit.Nonce, err = claims.NewNonce(); err != nil {
		log.Fatal(err)
	}
	h, err := billing.SubmitClaim(ctx, claimstypes.ClaimSubmission{ID: "clm-1", Patient: "pat-7f3a9c21", CoverageID: "cov-1"}, visit)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.ID, h.Status, h.ClaimType, "by", h.ProviderMSP, h.Provider, "to", h.InsurerMSP, h.Insurer)
	fmt.Println("the details match the public hash:", claimstypes.HashDetails(visit) == h.DetailsHash)

	// The same services billed again, under another claim id.
	_, err = billing.SubmitClaim(ctx, claimstypes.ClaimSubmission{ID: "clm-2", Patient: "pat-7f3a9c21", CoverageID: "cov-1"}, visit)
	fmt.Println(errors.Is(err, sdk.ErrDuplicate), err)

	// A patient who has not consented to disclose claims to the insurer.
	_, err = billing.SubmitClaim(ctx, claimstypes.ClaimSubmission{ID: "clm-3", Patient: "pat-2b8e4d10", CoverageID: "cov-1"}, visit)
	fmt.Println(errors.Is(err, sdk.ErrForbidden))
	// Output:
	// clm-1 submitted professional by HospitalMSP 1003000126 to InsurerMSP PAYER-0001
	// the details match the public hash: true
	// true claims.SubmitClaim: DUPLICATE: claim clm-2 duplicates claim clm-1
	// true
}
