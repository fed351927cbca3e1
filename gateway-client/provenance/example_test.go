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
	"github.com/healthledger/healthledger/gateway-client/epcis/epcisschema"
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

// A manufacturer exports a batch's chain of custody as an EPCIS 2.0 document for a trading partner,
// and checks it against the official GS1 schema first.
func ExampleClient_EPCISForBatch() {
	made := time.Date(2025, 2, 3, 8, 0, 0, 0, time.UTC)
	mfr := provenancetypes.Party{MSPID: "PharmaMSP", GLN: "0614141000005"}
	dist := provenancetypes.Party{MSPID: "PharmaMSP", GLN: "0614141000012"}
	ev := func(typ, action, step, disp, tx string, at time.Time) provenancetypes.Event {
		return provenancetypes.Event{Type: typ, Action: action, BizStep: step, Disposition: disp, EventTime: at, RecordTime: at,
			ReadPoint: mfr.GLN, BizLocation: mfr.GLN, GTIN: "00614141000418", Lot: "LOT-A1", Quantity: 2, Actor: mfr, TxID: tx}
	}
	commissioned := ev(provenancetypes.EventBatchCommissioned, "ADD", "commissioning", "active", "tx-1", made)
	shipped := ev(provenancetypes.EventShipped, "OBSERVE", "shipping", "in_transit", "tx-2", made.Add(time.Hour))
	shipped.Serials, shipped.ShipmentID, shipped.Source, shipped.Destination = []string{"S1", "S2"}, "SH-1", &mfr, &dist

	ledger := func(_ context.Context, call sdktest.Call) ([]byte, error) {
		switch call.Function {
		case "GetBatch":
			return json.Marshal(provenancetypes.Batch{GTIN: "00614141000418", Lot: "LOT-A1", Expiry: "2027-06-30"})
		case "BatchCustody":
			return json.Marshal(provenancetypes.EventPage{Items: []provenancetypes.Event{commissioned, shipped}})
		}
		return nil, codes.New(codes.InvalidArgument, "unknown function %s", call.Function)
	}
	c, err := sdktest.NewClient(ledger, sdk.IdentityInfo{Name: "manufacturer1", MSPID: "PharmaMSP", Role: "manufacturer", Subject: mfr.GLN})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	doc, err := provenance.New(c).EPCISForBatch(context.Background(), "0614141000418", "LOT-A1")
	if err != nil {
		log.Fatal(err)
	}
	raw, err := json.Marshal(doc) // the EPCIS 2.0 JSON-LD to send
	if err != nil {
		log.Fatal(err)
	}
	v, err := epcisschema.New()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("valid:", v.Validate(raw) == nil)
	for _, e := range doc.Body.EventList {
		fmt.Println(e.Type, e.Action, e.BizStep, e.Disposition, e.EPCList, len(e.QuantityList), e.ILMD)
	}
	fmt.Println(doc.Body.EventList[1].BizTransactionList[0].BizTransaction)
	// Output:
	// valid: true
	// ObjectEvent ADD commissioning active [] 1 map[cbvmda:itemExpirationDate:2027-06-30 cbvmda:lotNumber:LOT-A1]
	// ObjectEvent OBSERVE shipping in_transit [https://id.gs1.org/01/00614141000418/21/S1 https://id.gs1.org/01/00614141000418/21/S2] 0 map[]
	// urn:epcglobal:cbv:bt:0614141000005:SH-1
}
