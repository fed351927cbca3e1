package consent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
)

// consentLedger answers Grant and CheckAccess the way the consent chaincode does: only the patient
// grants, an id is used once, and the decision is consenttypes.Decide at the transaction's time.
type consentLedger struct {
	mu       sync.Mutex
	consents []consenttypes.Consent
	now      time.Time
}

func (l *consentLedger) handle(_ context.Context, call sdktest.Call) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch call.Function {
	case "Grant":
		var c consenttypes.Consent
		if err := json.Unmarshal([]byte(call.Args[0]), &c); err != nil {
			return nil, codes.New(codes.InvalidArgument, "consent: %v", err)
		}
		if call.Caller.Role != consenttypes.RolePatient || call.Caller.Subject != c.Patient {
			return nil, codes.New(codes.Forbidden, "only patient %s may grant consent for themselves", c.Patient)
		}
		for _, old := range l.consents {
			if old.ID == c.ID {
				return nil, codes.New(codes.Duplicate, "consent %s exists", c.ID)
			}
		}
		c.Status, c.Version, c.Grantor, c.CreatedAt = consenttypes.StatusActive, 1, call.Caller.Subject, l.now
		l.consents = append(l.consents, c)
		return json.Marshal(c)
	case "CheckAccess":
		g, err := consenttypes.ParseGrantee(call.Args[1])
		if err != nil {
			return nil, err
		}
		req := consenttypes.Request{Patient: call.Args[0], Grantee: g, Action: consenttypes.Action(call.Args[2]),
			Purpose: consenttypes.Purpose(call.Args[3]), Class: consenttypes.DataClass(call.Args[4])}
		return json.Marshal(consenttypes.Decide(l.consents, req, l.now))
	}
	return nil, codes.New(codes.InvalidArgument, "unknown function %s", call.Function)
}

// A patient lets their insurer see their claims for payment; the insurer asks before each use, and
// the answer names the consent that decided it.
func Example() {
	ledger := &consentLedger{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	gw, err := sdktest.NewServer(ledger.handle)
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Close()
	ctx := context.Background()
	var opened []*sdk.Client
	defer func() {
		for _, c := range opened {
			_ = c.Close()
		}
	}()
	connect := func(id sdk.IdentityInfo) *consent.Client {
		c, err := gw.Client(ctx, id)
		if err != nil {
			log.Fatal(err)
		}
		opened = append(opened, c)
		return consent.New(c)
	}
	patient := connect(sdk.IdentityInfo{Name: "patient1", MSPID: "HospitalMSP", Role: "patient", Subject: "pat-7f3a9c21"})
	insurer := connect(sdk.IdentityInfo{Name: "insurer1", MSPID: "InsurerMSP", Role: "insurer", Subject: "PAYER-0001"})

	// The patient's application grants.
	granted, err := patient.Grant(ctx, consenttypes.Consent{
		ID: "c-1", Patient: "pat-7f3a9c21", Grantee: "InsurerMSP", Decision: consenttypes.Permit,
		Actions:  []consenttypes.Action{consenttypes.ActionDisclose},
		Purposes: []consenttypes.Purpose{consenttypes.PurposePayment},
		Classes:  []consenttypes.DataClass{consenttypes.ClassClaim},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("granted", granted.ID, "to", granted.Grantee, "by", granted.Grantor, "-", granted.Status, "version", granted.Version)

	// The insurer's application checks before it reads, for each purpose.
	for _, purpose := range []consenttypes.Purpose{consenttypes.PurposePayment, consenttypes.PurposeResearch} {
		d, err := insurer.CheckAccess(ctx, "pat-7f3a9c21", consenttypes.Grantee{MSPID: "InsurerMSP"},
			consenttypes.ActionDisclose, purpose, consenttypes.ClassClaim)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(purpose, d.Permitted(), d.ConsentIDs, d.Reason)
	}

	// Only the patient grants.
	_, err = insurer.Grant(ctx, consenttypes.Consent{
		ID: "c-2", Patient: "pat-7f3a9c21", Grantee: "InsurerMSP", Decision: consenttypes.Permit,
		Actions:  []consenttypes.Action{consenttypes.ActionUse},
		Purposes: []consenttypes.Purpose{consenttypes.PurposeResearch},
		Classes:  []consenttypes.DataClass{consenttypes.ClassClaim},
	})
	fmt.Println(errors.Is(err, sdk.ErrForbidden), err)
	// Output:
	// granted c-1 to InsurerMSP by pat-7f3a9c21 - active version 1
	// HPAYMT true [c-1] permitted by consent c-1: InsurerMSP to disclose Claim of patient pat-7f3a9c21 for HPAYMT
	// HRESCH false [] no active consent permits InsurerMSP to disclose Claim of patient pat-7f3a9c21 for HRESCH
	// true consent.Grant: FORBIDDEN: only patient pat-7f3a9c21 may grant consent for themselves
}
