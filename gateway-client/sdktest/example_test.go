package sdktest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
)

// Typed clients and applications test against NewClient: a Handler answers each call as the
// chaincode would, and the SDK's whole gateway path runs.
func ExampleNewClient() {
	type consent struct {
		ID      string `json:"id"`
		Patient string `json:"patient"`
	}
	c, err := sdktest.NewClient(func(ctx context.Context, call sdktest.Call) ([]byte, error) {
		if call.Submit && call.Function == "Grant" {
			return []byte(`{"id":"c-1","patient":"pat-7f3a9c21"}`), nil
		}
		return nil, codes.New(codes.NotFound, "consent %s", call.Args[0])
	}, sdk.IdentityInfo{Name: "patient1", MSPID: "HospitalMSP", Role: "patient"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	got, err := sdk.SubmitJSON[consent](ctx, c.Contract("consent"), "Grant", []string{`{"id":"c-1"}`})
	fmt.Println(got.ID, got.Patient, err)

	_, err = c.Contract("consent").Evaluate(ctx, "GetConsent", []string{"c-17"})
	fmt.Println(err)
	fmt.Println(errors.Is(err, sdk.ErrNotFound))
	// Output:
	// c-1 pat-7f3a9c21 <nil>
	// consent.GetConsent: NOT_FOUND: consent c-17
	// true
}

// A program that reads a profiles folder runs against a Server unchanged.
func ExampleServer_WriteNetwork() {
	s, err := sdktest.NewServer(func(ctx context.Context, call sdktest.Call) ([]byte, error) {
		return []byte("hello " + call.Caller.Name + " of " + call.Caller.MSPID), nil
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	dir, err := os.MkdirTemp("", "profiles")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := s.WriteNetwork(dir,
		sdk.IdentityInfo{Name: "patient1", MSPID: "HospitalMSP", Role: "patient", Subject: "pat-7f3a9c21"},
		sdk.IdentityInfo{Name: "insurer1", MSPID: "InsurerMSP", Role: "insurer", Subject: "PAYER-0001"},
	); err != nil {
		log.Fatal(err)
	}

	// What the program does with the folder:
	ctx := context.Background()
	net, err := sdk.LoadNetwork(dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range net.Orgs() {
		fmt.Println(o.Name, o.MSPID, o.Roles)
	}
	c, err := net.Connect(ctx, "insurer1")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	res, err := c.Contract("baseline").Evaluate(ctx, "Read", []string{"k"})
	fmt.Println(string(res), err)
	// Output:
	// hospital HospitalMSP [patient]
	// insurer InsurerMSP [insurer]
	// hello insurer1 of InsurerMSP <nil>
}
