package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/healthledger/healthledger/internal/fakepeer"
	"github.com/healthledger/healthledger/internal/testpki"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

// runHlctl runs hlctl with args and returns stdout, stderr and the exit code. When c is not nil, it
// makes the connection every command gets (an sdktest client, see testClient); env are the
// environment variables hlctl sees. Chaincode group tests use it too.
func runHlctl(t *testing.T, c testConn, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	return runHlctlIn(t, c, env, "", args...)
}

// runHlctlIn is runHlctl with stdin as the standard input.
func runHlctlIn(t *testing.T, c testConn, env map[string]string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	var connect connector
	if c != nil {
		connect = func(ctx context.Context, _ *Env) (*sdk.Client, error) { return c(ctx) }
	}
	getenv := func(k string) string { return env[k] }
	code := run(context.Background(), args, stdio{in: strings.NewReader(stdin), out: &out, err: &errOut}, getenv, connect)
	return out.String(), errOut.String(), code
}

// testConn connects a client for one hlctl run (hlctl closes it when the command ends).
type testConn func(ctx context.Context) (*sdk.Client, error)

// testClient returns connections, as patient1 of HospitalMSP, to an sdktest server answering with h.
func testClient(t *testing.T, h sdktest.Handler) testConn {
	t.Helper()
	s, err := sdktest.NewServer(h)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return func(ctx context.Context) (*sdk.Client, error) {
		return s.Client(ctx, sdk.IdentityInfo{Name: "patient1", Org: "hospital", MSPID: "HospitalMSP", Role: "patient", Subject: "pat-7f3a9c21"})
	}
}

func TestHelpAndUsageErrors(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderr   string
		oneLine  bool
		noStdout bool
	}{
		{name: "help lists the commands and groups", args: []string{"help"}, code: 0, stdout: "events"},
		{name: "-h is help", args: []string{"-h"}, code: 0, stdout: "whoami"},
		{name: "no command is a usage error", args: nil, code: 2, stderr: "hlctl: no command given"},
		{name: "an unknown command is a usage error", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`, oneLine: true, noStdout: true},
		{name: "an unknown flag is a usage error", args: []string{"--frob", "whoami"}, code: 2, stderr: "unknown flag: --frob", oneLine: true, noStdout: true},
		{name: "an unknown subcommand is a usage error", args: []string{"events", "nope"}, code: 2, stderr: `unknown subcommand "nope"`, oneLine: true},
		{name: "a command's -h shows its flags", args: []string{"events", "tail", "-h"}, code: 0, stdout: "--checkpoint"},
		{name: "missing arguments are a usage error", args: []string{"evaluate", "consent"}, code: 2, stderr: "evaluate <chaincode> <function>", oneLine: true, noStdout: true},
		{name: "no identity is a usage error", args: []string{"--network", "/nonexistent", "whoami"}, code: 2, stderr: "no identity", oneLine: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runHlctl(t, nil, nil, tc.args...)
			require.Equal(t, tc.code, code, "stderr: %s", errOut)
			require.Contains(t, out, tc.stdout)
			require.Contains(t, errOut, tc.stderr)
			if tc.oneLine {
				require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
			}
			if tc.noStdout {
				require.Empty(t, out)
			}
		})
	}
}

func TestEvaluatePrintsReadablyOrAsJSON(t *testing.T) {
	c := testClient(t, metadataWith(nil, func(_ context.Context, call sdktest.Call) ([]byte, error) {
		require.False(t, call.Submit)
		require.Equal(t, "consent", call.Chaincode)
		require.Equal(t, "Get", call.Function)
		require.Equal(t, []string{"c-1"}, call.Args)
		return []byte(`{"id":"c-1","actions":["access","use"],"period":{"start":"2024-01-01"},"grantees":[{"org":"InsurerMSP","role":"insurer"}],"tags":[]}`), nil
	}))
	out, errOut, code := runHlctl(t, c, nil, "evaluate", "consent", "Get", "c-1")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, `id: c-1
actions:
  - access
  - use
period:
  start: 2024-01-01
grantees:
  - org: InsurerMSP
    role: insurer
tags: (none)
`, out)

	out, _, code = runHlctl(t, c, nil, "evaluate", "--json", "consent", "Get", "c-1")
	require.Equal(t, 0, code)
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	require.Equal(t, "c-1", v["id"])
	require.Contains(t, out, "\n  \"id\": \"c-1\"")
}

func TestAFailureIsOneLineOnStderrWithExitCode1(t *testing.T) {
	c := testClient(t, func(context.Context, sdktest.Call) ([]byte, error) {
		return nil, codes.New(codes.NotFound, "consent c-9")
	})
	out, errOut, code := runHlctl(t, c, nil, "evaluate", "consent", "Get", "c-9")
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Equal(t, "hlctl: consent.Get: NOT_FOUND: consent c-9\n", errOut)

	_, errOut, code = runHlctl(t, c, nil, "--json", "evaluate", "consent", "Get", "c-9")
	require.Equal(t, 1, code)
	var e struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	require.NoError(t, json.Unmarshal([]byte(errOut), &e))
	require.Equal(t, "NOT_FOUND", e.Code)
	require.Equal(t, "consent.Get: NOT_FOUND: consent c-9", e.Error)
}

// metadataWith answers the contract metadata query with one contract whose evaluate-only
// functions are evaluate, and passes every other call to h.
func metadataWith(evaluate []string, h sdktest.Handler) sdktest.Handler {
	return func(ctx context.Context, call sdktest.Call) ([]byte, error) {
		if call.Function != "org.hyperledger.fabric:GetMetadata" {
			return h(ctx, call)
		}
		type tx struct {
			Name string   `json:"name"`
			Tag  []string `json:"tag"`
		}
		txs := []tx{{Name: "Submit", Tag: []string{"SUBMIT", "submit"}}}
		for _, e := range evaluate {
			txs = append(txs, tx{Name: e, Tag: []string{"EVALUATE", "evaluate"}})
		}
		return json.Marshal(map[string]any{"contracts": map[string]any{"Claims": map[string]any{"name": "Claims", "transactions": txs}}})
	}
}

func TestSubmitPassesTransientDataAndEndorsingOrgs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "claim.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"lines":[1]}`), 0o600))
	var got sdktest.Call
	submits := 0
	c := testClient(t, metadataWith([]string{"GetClaimDetails"}, func(_ context.Context, call sdktest.Call) ([]byte, error) {
		got = call
		if call.Submit {
			submits++
		}
		return []byte(`{"id":"cl-1","status":"submitted"}`), nil
	}))
	out, errOut, code := runHlctlIn(t, c, nil, "hello", "submit", "claims", "Submit", "cl-1",
		"--transient", "claim=@"+file, "--transient", "note=-", "--endorsing-orgs", "HospitalMSP,InsurerMSP", "--json")
	require.Equal(t, 0, code, errOut)
	require.True(t, got.Submit)
	require.Equal(t, []string{"cl-1"}, got.Args, "flags after the arguments are flags")
	require.Equal(t, `{"lines":[1]}`, string(got.Transient["claim"]))
	require.Equal(t, "hello", string(got.Transient["note"]), "key=- reads standard input")
	require.Equal(t, []string{"HospitalMSP", "InsurerMSP"}, got.EndorsingOrgs)
	var res struct {
		TransactionID string          `json:"transactionId"`
		Result        json.RawMessage `json:"result"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Equal(t, got.TransactionID, res.TransactionID)
	require.JSONEq(t, `{"id":"cl-1","status":"submitted"}`, string(res.Result))

	for _, bad := range []struct{ name, flag, want string }{
		{"not key=value", "novalue", "not key=@file or key=-"},
		{"a literal value, which would stay in shell history", "diagnosis=J06.9", "never from the command line"},
		{"an empty file name", "claim=@", "never from the command line"},
	} {
		t.Run("refused: "+bad.name, func(t *testing.T) {
			before := submits
			_, errOut, code := runHlctl(t, c, nil, "submit", "claims", "Submit", "--transient", bad.flag)
			require.Equal(t, 2, code)
			require.Contains(t, errOut, bad.want)
			require.NotContains(t, errOut, "J06.9", "the refusal does not repeat the value")
			require.Equal(t, before, submits, "nothing is submitted")
		})
	}
	t.Run("refused: standard input for two keys", func(t *testing.T) {
		_, errOut, code := runHlctlIn(t, c, nil, "x", "submit", "claims", "Submit", "--transient", "a=-", "--transient", "b=-")
		require.Equal(t, 2, code)
		require.Contains(t, errOut, "already the value of another key")
	})
	t.Run("arguments after -- are never flags", func(t *testing.T) {
		_, errOut, code := runHlctl(t, c, nil, "submit", "claims", "Submit", "--", "--json", "-x")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, []string{"--json", "-x"}, got.Args)
	})
}

func TestSubmitRefusesAnEvaluateOnlyFunctionUnlessAllowed(t *testing.T) {
	submits := 0
	c := testClient(t, metadataWith([]string{"GetClaimDetails"}, func(_ context.Context, call sdktest.Call) ([]byte, error) {
		if call.Submit {
			submits++
		}
		return []byte(`{}`), nil
	}))
	for _, fn := range []string{"GetClaimDetails", "Claims:GetClaimDetails"} {
		_, errOut, code := runHlctl(t, c, nil, "submit", "claims", fn, "cl-1")
		require.Equal(t, 2, code, fn)
		require.Contains(t, errOut, "evaluate-only", fn)
		require.Equal(t, 0, submits, "%s: nothing is submitted", fn)
	}
	_, errOut, code := runHlctl(t, c, nil, "submit", "claims", "GetClaimDetails", "cl-1", "--allow-evaluate-only")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, 1, submits)
	_, errOut, code = runHlctl(t, c, nil, "submit", "claims", "Other:GetClaimDetails", "cl-1")
	require.Equal(t, 0, code, "another contract's function of the same name is not evaluate-only: %s", errOut)
	_, _, code = runHlctl(t, c, nil, "evaluate", "claims", "GetClaimDetails", "cl-1")
	require.Equal(t, 0, code, "evaluate needs no flag")

	t.Run("unreadable metadata refuses the submit", func(t *testing.T) {
		c := testClient(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
			if call.Submit {
				t.Error("submitted although the metadata could not be read")
			}
			return []byte(`not json`), nil
		})
		_, errOut, code := runHlctl(t, c, nil, "submit", "claims", "GetClaimDetails", "cl-1")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "--allow-evaluate-only")
	})
}

// livePeer starts a fake peer and writes a network pointing at it.
func livePeer(t *testing.T, f *fakepeer.Gateway) (fakepeer.Network, *testpki.CA) {
	t.Helper()
	ca, err := testpki.NewCA("test-ca")
	require.NoError(t, err)
	addr := fakepeer.Start(t, ca, f)
	n := fakepeer.WriteNetwork(t, t.TempDir(), ca, []string{addr},
		fakepeer.User{Name: "patient1", Org: "hospital", Role: "patient", Subject: "pat-7f3a9c21"},
		fakepeer.User{Name: "auditor1", Org: "insurer", Role: "auditor", Subject: "AUD-0001"})
	return n, ca
}

func TestWhoamiConnectsThroughTheNetwork(t *testing.T) {
	n, _ := livePeer(t, &fakepeer.Gateway{})
	out, errOut, code := runHlctl(t, nil, nil, "--network", n.Profiles, "--identity", "auditor1", "whoami")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "name: auditor1\n")
	require.Contains(t, out, "mspId: InsurerMSP\n")
	require.Contains(t, out, "role: auditor\n")
	require.Contains(t, out, "subject: AUD-0001\n")

	t.Run("the environment chooses the network and the identity", func(t *testing.T) {
		out, errOut, code := runHlctl(t, nil, map[string]string{"HEALTHLEDGER_NETWORK": n.Profiles, "HLCTL_IDENTITY": "patient1"}, "whoami", "--json")
		require.Equal(t, 0, code, errOut)
		var v map[string]string
		require.NoError(t, json.Unmarshal([]byte(out), &v))
		require.Equal(t, "pat-7f3a9c21", v["subject"])
		require.Equal(t, "healthchannel", v["channel"])
	})
	t.Run("a bare profile works too", func(t *testing.T) {
		out, errOut, code := runHlctl(t, nil, nil, "--profile", n.Profile, "--identity", "patient1", "whoami")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "name: patient1\n")
	})
	t.Run("an unknown identity fails with exit code 1", func(t *testing.T) {
		_, errOut, code := runHlctl(t, nil, nil, "--network", n.Profiles, "--identity", "ghost", "whoami")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "ghost")
	})
}

func TestIdentitiesListsTheNetworkAndTheWallet(t *testing.T) {
	n, _ := livePeer(t, &fakepeer.Gateway{})
	out, errOut, code := runHlctl(t, nil, nil, "--network", n.Profiles, "identities", "--role", "auditor", "--json")
	require.Equal(t, 0, code, errOut)
	var ids []sdk.IdentityInfo
	require.NoError(t, json.Unmarshal([]byte(out), &ids))
	require.Equal(t, []sdk.IdentityInfo{{Name: "auditor1", Org: "insurer", MSPID: "InsurerMSP", Role: "auditor", Subject: "AUD-0001"}}, ids)
}

// eventServer serves block 5 (tx-a, tx-b) and block 6 (tx-c), honouring the resume position.
type eventServer struct {
	mu     sync.Mutex
	starts []string
}

func (s *eventServer) serve(req *gateway.ChaincodeEventsRequest, stream gateway.Gateway_ChaincodeEventsServer) error {
	s.mu.Lock()
	s.starts = append(s.starts, req.GetAfterTransactionId())
	s.mu.Unlock()
	blocks := []struct {
		n   uint64
		txs []string
	}{{5, []string{"tx-a", "tx-b"}}, {6, []string{"tx-c"}}}
	start := req.GetStartPosition().GetSpecified().GetNumber()
	skipping := req.GetAfterTransactionId() != ""
	for _, b := range blocks {
		if b.n < start {
			continue
		}
		resp := &gateway.ChaincodeEventsResponse{BlockNumber: b.n}
		for _, tx := range b.txs {
			if skipping {
				skipping = tx != req.GetAfterTransactionId()
				continue
			}
			resp.Events = append(resp.Events, &peer.ChaincodeEvent{ChaincodeId: req.GetChaincodeId(), TxId: tx, EventName: "Granted", Payload: []byte(`{"id":"` + tx + `"}`)})
		}
		if len(resp.Events) > 0 {
			if err := stream.Send(resp); err != nil {
				return err
			}
		}
	}
	<-stream.Context().Done()
	return nil
}

func TestEventsTailResumesFromItsCheckpoint(t *testing.T) {
	srv := &eventServer{}
	n, _ := livePeer(t, &fakepeer.Gateway{EventsFn: srv.serve})
	state := t.TempDir()
	env := map[string]string{"HLCTL_STATE_DIR": state}
	args := []string{"--network", n.Profiles, "--identity", "auditor1", "events", "tail", "consent", "--from-block", "5"}

	out, errOut, code := runHlctl(t, nil, env, append(args, "--count", "2")...)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "block 5 tx tx-a consent.Granted {\"id\":\"tx-a\"}\nblock 5 tx tx-b consent.Granted {\"id\":\"tx-b\"}\n", out)
	require.Contains(t, errOut, filepath.Join(state, "healthchannel-consent-auditor1.json"))

	out, errOut, code = runHlctl(t, nil, env, append(args, "--count", "1", "--json")...)
	require.Equal(t, 0, code, errOut)
	var ev struct {
		Block         uint64          `json:"blockNumber"`
		TransactionID string          `json:"transactionId"`
		Payload       json.RawMessage `json:"payload"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &ev))
	require.Equal(t, "tx-c", ev.TransactionID, "the second run resumes after the last event printed")
	require.Equal(t, uint64(6), ev.Block)
	require.JSONEq(t, `{"id":"tx-c"}`, string(ev.Payload))
	srv.mu.Lock()
	require.Equal(t, []string{"", "tx-b"}, srv.starts)
	srv.mu.Unlock()

	t.Run("--no-checkpoint starts over", func(t *testing.T) {
		out, errOut, code := runHlctl(t, nil, env, append(args, "--count", "1", "--no-checkpoint")...)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "tx-a")
	})
	t.Run("--checkpoint and --no-checkpoint exclude each other", func(t *testing.T) {
		_, _, code := runHlctl(t, nil, env, append(args, "--no-checkpoint", "--checkpoint", "x.json")...)
		require.Equal(t, 2, code)
	})
}

func TestEnrollAndRegisterThroughTheCA(t *testing.T) {
	n, _ := livePeer(t, &fakepeer.Gateway{})
	ca, err := testpki.NewFakeCA("ca-hospital")
	require.NoError(t, err)
	t.Cleanup(ca.Close)
	// Point the hospital profile's CA at the fake CA.
	caPEM := filepath.Join(n.Root, "crypto", "ca-tls.pem")
	require.NoError(t, os.WriteFile(caPEM, ca.CA.CertPEM, 0o644))
	var profile map[string]any
	data, err := os.ReadFile(n.Profile)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &profile))
	profile["ca"] = map[string]string{"name": "ca-hospital", "url": ca.URL(), "tlsCACert": "../crypto/ca-tls.pem"}
	data, err = json.Marshal(profile)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(n.Profile, data, 0o644))

	ca.SetMaxEnrollments(1) // as network.sh's CAs: one enrollment per identity
	base := []string{"--network", n.Profiles}
	_, errOut, code := runHlctl(t, nil, nil, append(base, "enroll", "--name", "admin", "--secret", "adminpw", "--org", "hospital")...)
	require.Equal(t, 0, code, errOut)

	out, errOut, code := runHlctl(t, nil, nil, append(base, "--identity", "admin", "--json", "register", "--name", "patient9",
		"--secret", "pw9", "--attr", "role=patient", "--attr", "subject=pat-0000beef", "--attr", "note=x:noecert")...)
	require.Equal(t, 0, code, errOut)
	require.JSONEq(t, `{"name":"patient9","secret":"pw9"}`, out)

	out, errOut, code = runHlctl(t, nil, map[string]string{"HLCTL_SECRET": "pw9"}, append(base, "enroll", "--name", "patient9", "--org", "hospital", "--json")...)
	require.Equal(t, 0, code, errOut)
	var info sdk.IdentityInfo
	require.NoError(t, json.Unmarshal([]byte(out), &info))
	require.Equal(t, sdk.IdentityInfo{Name: "patient9", Org: "hospital", MSPID: "HospitalMSP", Role: "patient", Subject: "pat-0000beef"}, info)
	st, err := os.Stat(filepath.Join(n.Wallet, "patient9", "keystore", "key.pem"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	t.Run("the new identity can connect", func(t *testing.T) {
		out, errOut, code := runHlctl(t, nil, nil, append(base, "--identity", "patient9", "whoami")...)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "subject: pat-0000beef\n")
	})
	t.Run("a wrong secret fails with one line", func(t *testing.T) {
		out, errOut, code := runHlctl(t, nil, nil, append(base, "enroll", "--name", "patient9", "--secret", "nope", "--org", "hospital")...)
		require.Equal(t, 1, code)
		require.Empty(t, out)
		require.Equal(t, 1, strings.Count(errOut, "\n"))
		require.Contains(t, errOut, "Authentication failure")
	})
	t.Run("enroll without a secret is a usage error", func(t *testing.T) {
		_, _, code := runHlctl(t, nil, nil, append(base, "enroll", "--name", "x", "--org", "hospital")...)
		require.Equal(t, 2, code)
	})
	t.Run("a second enrollment with the right secret is refused, saying why", func(t *testing.T) {
		before, err := os.ReadFile(filepath.Join(n.Wallet, "patient9", "signcerts", "cert.pem"))
		require.NoError(t, err)
		out, errOut, code := runHlctl(t, nil, nil, append(base, "enroll", "--name", "patient9", "--secret", "pw9", "--org", "hospital")...)
		require.Equal(t, 1, code, out)
		require.Contains(t, errOut, "used its enrollments (renew with reenroll)")
		after, err := os.ReadFile(filepath.Join(n.Wallet, "patient9", "signcerts", "cert.pem"))
		require.NoError(t, err)
		require.Equal(t, string(before), string(after), "the wallet entry is left alone")
	})
	t.Run("reenroll renews the wallet entry from its current certificate", func(t *testing.T) {
		certPath, keyPath := filepath.Join(n.Wallet, "patient9", "signcerts", "cert.pem"), filepath.Join(n.Wallet, "patient9", "keystore", "key.pem")
		oldCert, err := os.ReadFile(certPath)
		require.NoError(t, err)
		oldKey, err := os.ReadFile(keyPath)
		require.NoError(t, err)
		out, errOut, code := runHlctl(t, nil, nil, append(base, "--identity", "patient9", "reenroll", "--json")...)
		require.Equal(t, 0, code, errOut)
		require.JSONEq(t, `{"name":"patient9","org":"hospital","mspId":"HospitalMSP","role":"patient","subject":"pat-0000beef","previousCertRevoked":true}`, out)
		newCert, err := os.ReadFile(certPath)
		require.NoError(t, err)
		newKey, err := os.ReadFile(keyPath)
		require.NoError(t, err)
		require.NotEqual(t, string(oldCert), string(newCert))
		require.NotEqual(t, string(oldKey), string(newKey))
		st, err := os.Stat(keyPath)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		out, errOut, code = runHlctl(t, nil, nil, append(base, "--identity", "patient9", "whoami")...)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "subject: pat-0000beef\n")
		// The previous certificate is revoked at the CA: it renews nothing any more.
		w, err := sdk.OpenWallet(t.TempDir())
		require.NoError(t, err)
		require.NoError(t, w.Put(&sdk.Credentials{Info: sdk.IdentityInfo{Name: "patient9", Org: "hospital", MSPID: "HospitalMSP"}, Certificate: oldCert, PrivateKey: oldKey}))
		_, errOut, code = runHlctl(t, nil, nil, append(base, "--wallet", w.Dir(), "--identity", "patient9", "reenroll")...)
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "does not accept this certificate")
		// The current one renews again.
		out, errOut, code = runHlctl(t, nil, nil, append(base, "--identity", "patient9", "reenroll", "--keep-old")...)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, errOut, "renewed patient9 in ")
		require.NotContains(t, errOut, "revoked")
		require.Contains(t, out, "previousCertRevoked: false")
	})
	t.Run("reenroll of an identity the wallet lacks fails", func(t *testing.T) {
		_, errOut, code := runHlctl(t, nil, nil, append(base, "--identity", "nobody", "reenroll")...)
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "not found")
	})
	t.Run("register --secret-file keeps the secret out of the output", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "patient10.secret")
		out, errOut, code := runHlctl(t, nil, nil, append(base, "--identity", "admin", "--json", "register", "--name", "patient10", "--secret-file", file)...)
		require.Equal(t, 0, code, errOut)
		require.JSONEq(t, `{"name":"patient10","secretFile":"`+file+`"}`, out)
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		secret := strings.TrimSpace(string(data))
		require.Regexp(t, `^[0-9a-f]{32}$`, secret)
		st, err := os.Stat(file)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		require.NotContains(t, out+errOut, secret)
		// An existing file is refused before anything is registered.
		_, errOut, code = runHlctl(t, nil, nil, append(base, "--identity", "admin", "register", "--name", "patient11", "--secret-file", file)...)
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "file exists")
		_, errOut, code = runHlctl(t, nil, nil, append(base, "--identity", "admin", "register", "--name", "patient11", "--secret-file", file+".2")...)
		require.Equal(t, 0, code, errOut)
		_, errOut, code = runHlctl(t, nil, map[string]string{"HLCTL_SECRET": secret}, append(base, "enroll", "--name", "patient10", "--org", "hospital")...)
		require.Equal(t, 0, code, errOut)
	})
}
