package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// The whole flow against a running network: load the profiles folder that `network.sh up` wrote,
// connect one identity, call a chaincode, and tell failures apart with errors.Is.
func Example() {
	ctx := context.Background()
	net, err := sdk.LoadNetwork(os.Getenv("HEALTHLEDGER_NETWORK"))
	if err != nil {
		log.Fatal(err)
	}
	c, err := net.Connect(ctx, "patient1")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	type page struct {
		Items    []map[string]any `json:"items"`
		Bookmark string           `json:"bookmark"`
	}
	got, err := sdk.EvaluateJSON[page](ctx, c.Contract("consent"), "ListConsentsByPatient", []string{"pat-7f3a9c21", "10", ""})
	switch {
	case errors.Is(err, sdk.ErrForbidden):
		fmt.Println("not allowed")
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println(len(got.Items), "consents")
	}
}

// Chaincode failures carry stable codes; the SDK maps each to a sentinel. The error prints on one line
// and still holds the gateway's error underneath.
func Example_errorMapping() {
	// A test client (package sdktest) answers like a chaincode that does not know consent c-17.
	c, err := sdktest.NewClient(func(ctx context.Context, call sdktest.Call) ([]byte, error) {
		return nil, codes.New(codes.NotFound, "consent %s", call.Args[0])
	}, sdk.IdentityInfo{Name: "patient1", MSPID: "HospitalMSP"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	_, err = c.Contract("consent").Evaluate(context.Background(), "Get", []string{"c-17"})
	fmt.Println(err)
	fmt.Println(errors.Is(err, sdk.ErrNotFound), errors.Is(err, sdk.ErrForbidden))
	fmt.Println(sdk.CodeOf(err))

	var e *sdk.Error
	if errors.As(err, &e) {
		fmt.Println(e.Chaincode, e.Function, e.Code, e.Message)
	}
	// With a live gateway, errors.As also reaches *client.EndorseError and its per-peer Details().
	var endorseErr *client.EndorseError
	fmt.Println(errors.As(err, &endorseErr))
	// Output:
	// consent.Get: NOT_FOUND: consent c-17
	// true false
	// NOT_FOUND
	// consent Get NOT_FOUND consent c-17
	// false
}

// A profiles folder holds network.json; relative paths resolve against it.
func ExampleLoadNetwork() {
	dir, err := os.MkdirTemp("", "profiles")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	const networkJSON = `{"layout":"default","channel":"healthchannel","wallet":"../wallet",
	 "orgs":[{"name":"hospital","mspId":"HospitalMSP","profile":"hospital.json","roles":["patient","provider","pharmacist"]},
	         {"name":"insurer","mspId":"InsurerMSP","profile":"insurer.json","roles":["insurer","auditor"]}],
	 "identities":[{"name":"patient1","org":"hospital","mspId":"HospitalMSP","role":"patient","subject":"pat-7f3a9c21"},
	               {"name":"insurer1","org":"insurer","mspId":"InsurerMSP","role":"insurer","subject":"PAYER-0001"}],
	 "chaincodes":["consent","claims"]}`
	if err := os.WriteFile(filepath.Join(dir, sdk.NetworkFile), []byte(networkJSON), 0o644); err != nil {
		log.Fatal(err)
	}

	net, err := sdk.LoadNetwork(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(net.Channel())
	fmt.Println(net.MSPForRole("insurer"), net.MSPForRole("patient"))
	for _, id := range net.Identities("insurer") {
		fmt.Println(id.Name, id.Org, id.Subject)
	}
	profile, err := net.ProfilePath("InsurerMSP")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(profile))
	fmt.Println(filepath.Base(net.WalletDir()))
	// Output:
	// healthchannel
	// InsurerMSP HospitalMSP
	// insurer1 insurer PAYER-0001
	// insurer.json
	// wallet
}

// A connection profile names the peers (tried in order), their TLS CA, the CA and the wallet.
func ExampleLoadProfile() {
	dir, err := os.MkdirTemp("", "profiles")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	const profileJSON = `{"name":"hospital","mspId":"HospitalMSP","channel":"healthchannel",
	 "peers":[{"name":"peer0.hospital.healthledger.test","endpoint":"127.0.0.1:7051",
	           "tlsCACert":"../crypto/tlsca.pem","hostOverride":"peer0.hospital.healthledger.test"}],
	 "ca":{"name":"ca-hospital","url":"https://127.0.0.1:7054","tlsCACert":"../crypto/ca-tls.pem"},
	 "wallet":"../wallet"}`
	path := filepath.Join(dir, "hospital.json")
	if err := os.WriteFile(path, []byte(profileJSON), 0o644); err != nil {
		log.Fatal(err)
	}
	p, err := sdk.LoadProfile(path)
	if err != nil {
		log.Fatal(err)
	}
	rel := func(s string) string { r, _ := filepath.Rel(filepath.Dir(dir), s); return r }
	fmt.Println(p.MSPID, p.Channel)
	fmt.Println(p.Peers[0].Endpoint, p.Peers[0].HostOverride)
	fmt.Println(rel(p.Peers[0].TLSCACert))
	fmt.Println(p.CA.URL, rel(p.CA.TLSCACert))
	fmt.Println(rel(p.Wallet))
	// Output:
	// HospitalMSP healthchannel
	// 127.0.0.1:7051 peer0.hospital.healthledger.test
	// crypto/tlsca.pem
	// https://127.0.0.1:7054 crypto/ca-tls.pem
	// wallet
}

// The default retry policy: 4 attempts; before retry n the SDK waits a random time between half of
// Backoff(n) and Backoff(n).
func ExampleRetryPolicy_Backoff() {
	p := sdk.DefaultRetryPolicy()
	fmt.Println(p.MaxAttempts)
	for n := 1; n <= 6; n++ {
		fmt.Println(n, p.Backoff(n))
	}
	// Output:
	// 4
	// 1 100ms
	// 2 200ms
	// 3 400ms
	// 4 800ms
	// 5 1.6s
	// 6 2s
}

// An event listener that survives restarts: it resumes exactly after the last event it acknowledged.
func ExampleClient_ChaincodeEvents() {
	ctx := context.Background()
	net, err := sdk.LoadNetwork(os.Getenv("HEALTHLEDGER_NETWORK"))
	if err != nil {
		log.Fatal(err)
	}
	c, err := net.Connect(ctx, "auditor1")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	events, err := c.ChaincodeEvents(ctx, "consent", sdk.WithCheckpointFile("consent-events.json"))
	if err != nil {
		log.Fatal(err)
	}
	defer events.Close()
	for {
		e, err := events.Next(ctx)
		if err != nil {
			log.Fatal(err) // the error that ended the stream
		}
		var payload map[string]any
		if err := e.Decode(&payload); err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Name, payload)
		if err := events.Ack(e); err != nil { // processed: move the checkpoint
			log.Fatal(err)
		}
	}
}
