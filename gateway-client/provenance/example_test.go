package provenance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/provenance"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
)

// verifyLikeTheChaincode answers Verify as the provenance chaincode would for one commissioned batch:
// lot LOT-A1 of GTIN 00614141000418, expiring 2027-06-30, whose unit S2 was dispensed.
func verifyLikeTheChaincode(_ context.Context, call sdktest.Call) ([]byte, error) {
	if call.Function != "Verify" {
		return nil, codes.New(codes.InvalidArgument, "unknown function %s", call.Function)
	}
	gtin, serial, lot, expiry := call.Args[0], call.Args[1], call.Args[2], call.Args[3]
	res := provenancetypes.VerifyResult{GTIN: gtin, Serial: serial, CheckedAt: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	exp, err := provenancetypes.ParseDate(expiry)
	if err != nil {
		return nil, codes.New(codes.InvalidArgument, "expiry: %v", err)
	}
	switch {
	case gtin != "00614141000418" || !slices.Contains([]string{"S1", "S2", "S3", "S4"}, serial):
		res.Result = provenancetypes.VerifyUnknownSerial
	case lot != "LOT-A1":
		res.Result = provenancetypes.VerifyLotMismatch
	case exp.Format(provenancetypes.DateLayout) != "2027-06-30":
		res.Result = provenancetypes.VerifyExpiryMismatch
	case serial == "S2":
		res.Result = provenancetypes.VerifyDispensed
	default:
		res.Result = provenancetypes.VerifyVerified
	}
	res.Suspect = serial == "S4" // its batch is flagged suspect (a suspected counterfeit)
	return json.Marshal(res)
}

// A pharmacist verifies the product identifier of each package at the counter (DSCSA): the GTIN as
// scanned (13 digits here), the serial, the lot and the expiry in the GS1 YYMMDD form, and hands
// the package over only when SafeToDispense says so: verified, and not suspect.
func ExampleClient_Verify() {
	c, err := sdktest.NewClient(verifyLikeTheChaincode,
		sdk.IdentityInfo{Name: "pharmacist1", MSPID: "HospitalMSP", Role: "pharmacist", Subject: "0614141000029"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	pharmacy := provenance.New(c)
	ctx := context.Background()

	for _, scan := range []struct{ gtin, serial, lot, expiry string }{
		{"0614141000418", "S1", "LOT-A1", "270630"},
		{"0614141000418", "S2", "LOT-A1", "270630"},
		{"0614141000418", "S9", "LOT-A1", "270630"},
		{"0614141000418", "S3", "LOT-B7", "270630"},
		{"0614141000418", "S4", "LOT-A1", "270630"},
	} {
		v, err := pharmacy.Verify(ctx, scan.gtin, scan.serial, scan.lot, scan.expiry)
		if err != nil {
			log.Fatal(err)
		}
		safe, state := v.SafeToDispense()
		fmt.Println(v.GTIN, v.Serial, v.Result, "safe:", safe, state)
	}

	// A malformed identifier fails in the client, before any call.
	_, err = pharmacy.Verify(ctx, "061414100041", "S1", "LOT-A1", "270630")
	fmt.Println(errors.Is(err, sdk.ErrInvalidArgument))
	// Output:
	// 00614141000418 S1 verified safe: true verified
	// 00614141000418 S2 dispensed safe: false dispensed
	// 00614141000418 S9 unknown_serial safe: false unknown_serial
	// 00614141000418 S3 lot_mismatch safe: false lot_mismatch
	// 00614141000418 S4 verified safe: false suspect
	// true
}

// An auditor reviews a unit that its pharmacy dispensed twice (the scanner read one pack twice) and
// clears its suspect flag with a note; the clearing is a SuspectCleared event in the unit's custody.
func ExampleClient_ClearSuspect() {
	auditorChaincode := func(_ context.Context, call sdktest.Call) ([]byte, error) {
		if call.Function != "ClearSuspect" {
			return nil, codes.New(codes.InvalidArgument, "unknown function %s", call.Function)
		}
		gtin, lot, serial, note := call.Args[0], call.Args[1], call.Args[2], call.Args[3]
		return json.Marshal(provenancetypes.Event{
			Type: provenancetypes.EventSuspectCleared, GTIN: gtin, Lot: lot, Serials: []string{serial}, Reason: note,
			Actor: provenancetypes.Party{MSPID: "InsurerMSP", GLN: "AUD-0001"},
		})
	}
	c, err := sdktest.NewClient(auditorChaincode,
		sdk.IdentityInfo{Name: "auditor1", MSPID: "InsurerMSP", Role: "auditor", Subject: "AUD-0001"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	auditor := provenance.New(c)

	ev, err := auditor.ClearSuspect(context.Background(), "0614141000418", "LOT-A1", "S1", "the scanner read one pack twice")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ev.Type, ev.Serials, ev.Actor, ev.Reason)
	// Output:
	// SuspectCleared [S1] AUD-0001@InsurerMSP the scanner read one pack twice
}
