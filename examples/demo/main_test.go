package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
)

// The demo identities of the default network, as network.sh enrolls them.
var demoIdentities = []sdk.IdentityInfo{
	{Name: "patient1", Org: "hospital", MSPID: "HospitalMSP", Role: "patient", Subject: "pat-7f3a9c21"},
	{Name: "provider1", Org: "hospital", MSPID: "HospitalMSP", Role: "provider", Subject: "1003000126"},
	{Name: "pharmacist1", Org: "hospital", MSPID: "HospitalMSP", Role: "pharmacist", Subject: "0614141000029"},
	{Name: "manufacturer1", Org: "pharma", MSPID: "PharmaMSP", Role: "manufacturer", Subject: "0614141000005"},
	{Name: "distributor1", Org: "pharma", MSPID: "PharmaMSP", Role: "distributor", Subject: "0614141000012"},
	{Name: "insurer1", Org: "insurer", MSPID: "InsurerMSP", Role: "insurer", Subject: "PAYER-0001"},
}

// runDemo runs the demo with args and the environment env, and returns its exit code, stdout and
// stderr.
func runDemo(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

// fakeNetwork serves h and writes a profiles folder for ids; it returns the folder.
func fakeNetwork(t *testing.T, h sdktest.Handler, ids ...sdk.IdentityInfo) string {
	t.Helper()
	s, err := sdktest.NewServer(h)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	dir := filepath.Join(t.TempDir(), "profiles")
	require.NoError(t, s.WriteNetwork(dir, ids...))
	return dir
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"an unknown flag is a usage error", []string{"-frob"}, 2, "flag provided but not defined: -frob"},
		{"an argument is a usage error", []string{"profiles"}, 2, `demo: unexpected argument "profiles"`},
		{"-h shows the flags and succeeds", []string{"-h"}, 0, "-network string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runDemo(t, nil, tc.args...)
			require.Equal(t, tc.code, code, errOut)
			require.Empty(t, out)
			require.Contains(t, errOut, tc.stderr)
		})
	}
}

func TestWhereTheNetworkIsRead(t *testing.T) {
	t.Run("-network names the profiles folder", func(t *testing.T) {
		code, _, errOut := runDemo(t, map[string]string{"HEALTHLEDGER_NETWORK": "/from/env"}, "-network", "/from/flag")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "demo: loading the network: read network: open /from/flag/network.json")
	})
	t.Run("HEALTHLEDGER_NETWORK is the default", func(t *testing.T) {
		_, _, errOut := runDemo(t, map[string]string{"HEALTHLEDGER_NETWORK": "/from/env"})
		require.Contains(t, errOut, "/from/env/network.json")
	})
	t.Run("without it, .network/profiles", func(t *testing.T) {
		_, _, errOut := runDemo(t, nil)
		require.Contains(t, errOut, filepath.Join(".network", "profiles", "network.json"))
	})
}

func TestBadNetworksFailWithAClearMessage(t *testing.T) {
	t.Run("a network.json that does not parse", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "network.json"), []byte("{"), 0o644))
		code, _, errOut := runDemo(t, nil, "-network", dir)
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "demo: loading the network:")
	})
	t.Run("an org that lists no role", func(t *testing.T) {
		dir := fakeNetwork(t, newLedger().handle, sdk.IdentityInfo{Name: "admin1", Org: "hospital", MSPID: "HospitalMSP"})
		code, _, errOut := runDemo(t, nil, "-network", dir)
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "demo: baseline: the platform's own write and read: org hospital lists no role")
	})
	t.Run("a network without a patient", func(t *testing.T) {
		dir := fakeNetwork(t, newLedger().handle, demoIdentities[1:]...)
		code, out, errOut := runDemo(t, nil, "-network", dir)
		require.Equal(t, 1, code)
		require.Contains(t, out, "== baseline")
		require.Contains(t, errOut, "demo: consent: grant, access, log, revoke, denial: the network has no identity with role patient")
	})
}

func TestTheWholeDemoRunsAgainstTheChaincodesFake(t *testing.T) {
	l := newLedger()
	dir := fakeNetwork(t, l.handle, demoIdentities...)
	code, out, errOut := runDemo(t, map[string]string{"HEALTHLEDGER_NETWORK": dir})
	require.Equal(t, 0, code, "stderr: %s\nstdout: %s", errOut, out)
	require.Empty(t, errOut)
	for _, want := range []string{
		"== baseline: the platform's own write and read",
		"patient1 (HospitalMSP) wrote demo-",
		"insurer1 (InsurerMSP) read it back: \"hello from HospitalMSP\"",
		"== consent: grant, access, log, revoke, denial",
		"patient1 (patient pat-7f3a9c21) granted demo-consent-",
		": HospitalMSP/provider/1003000126 may access Observation for TREAT",
		"provider1 read Observation record demo-obs-",
		"patient1's access log shows it:",
		"patient1 revoked demo-consent-",
		"(status inactive, version 2)",
		"provider1's next read was refused (forbidden): no consent is in force",
		"the refused read logged nothing: the log still holds one entry for demo-obs-",
		"== provenance: commission, ship, receive, dispense, verify, recall",
		"manufacturer1, distributor1 and pharmacist1 are registered supply-chain parties",
		"with 4 serialised units",
		"manufacturer1 shipped the lot to distributor1",
		"distributor1 shipped units SN0001, SN0002 to the pharmacy of pharmacist1",
		"pharmacist1 verified SN0001 at the counter: verified",
		"verifying SN0001 again answers: dispensed",
		"a second dispense of SN0001 is rejected (PRECONDITION_FAILED) and flags the unit suspect",
		"the recall reaches its holders: pharmacist1 (HospitalMSP), distributor1 (PharmaMSP)",
		"pharmacist1 verifies SN0002, which it holds: recalled",
		"distributor1 verifies SN0004, which it holds: recalled",
		"== claims: consent, coverage, submit, adjudicate, pay",
		"consent:    patient1 lets InsurerMSP see claims for payment (consent demo-claims-pay-pat-7f3a9c21, granted)",
		"coverage:   insurer1 (PAYER-0001) covers pat-7f3a9c21 under cov-demo-",
		"submit:     provider1 (NPI 1003000126) billed $",
		"adjudicate: approved: allowed $",
		"pay:        insurer1 paid $",
		"\ndemo complete\n",
	} {
		require.Contains(t, out, want)
	}

	t.Run("a second run reuses the payment consent", func(t *testing.T) {
		code, out, errOut := runDemo(t, nil, "-network", dir)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "(consent demo-claims-pay-pat-7f3a9c21, already in force)")
		require.Equal(t, []string{"demo-claims-pay-pat-7f3a9c21"}, l.consentIDs("demo-claims-pay-"))
	})
}

func TestAFailingStoryStopsTheDemo(t *testing.T) {
	l := newLedger()
	l.failWith("provenance.RegisterProduct", codes.New(codes.Forbidden, "not a manufacturer"))
	dir := fakeNetwork(t, l.handle, demoIdentities...)
	code, out, errOut := runDemo(t, nil, "-network", dir)
	require.Equal(t, 1, code)
	require.Contains(t, out, "== consent")
	require.NotContains(t, out, "== claims")
	require.NotContains(t, out, "demo complete")
	require.Equal(t, "demo: provenance: commission, ship, receive, dispense, verify, recall: registering the product: provenance.RegisterProduct: FORBIDDEN: not a manufacturer\n", errOut)
}

func TestAConsentStoryStoppedHalfWayRevokesItsConsent(t *testing.T) {
	l := newLedger()
	l.failWith("consent.ListAccessLog", codes.New(codes.Unavailable, "the log is offline"))
	dir := fakeNetwork(t, l.handle, demoIdentities...)
	code, _, errOut := runDemo(t, nil, "-network", dir)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "reading the access log of pat-7f3a9c21")
	ids := l.consentIDs("demo-consent-")
	require.Len(t, ids, 1)
	c, _ := l.consentOf(ids[0])
	require.Equal(t, consenttypes.StatusInactive, c.Status)
	require.Equal(t, "demo stopped", c.RevokeReason)
}

func TestARecordReadAfterTheRevocationFailsTheStory(t *testing.T) {
	l := newLedger()
	// A consent chaincode that answers Revoke but keeps the consent in force: the demo must notice.
	dir := fakeNetwork(t, func(ctx context.Context, call sdktest.Call) ([]byte, error) {
		if call.Chaincode == "consent" && call.Function == "Revoke" {
			return []byte(`{"id":"` + call.Args[0] + `","status":"inactive","version":2}`), nil
		}
		return l.handle(ctx, call)
	}, demoIdentities...)
	code, out, errOut := runDemo(t, nil, "-network", dir)
	require.Equal(t, 1, code)
	require.Contains(t, out, "revoked demo-consent-")
	require.Contains(t, errOut, "demo: consent: grant, access, log, revoke, denial: the provider could still read after consent demo-consent-")
}
