package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
)

// runProbe runs hlprobe with args and returns its exit code, stdout and stderr.
func runProbe(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// baseline plays the baseline chaincode for hlprobe. Each org's peer sees a write only once lag
// reads through it have passed: a peer that has not caught up yet answers NOT_FOUND.
type baseline struct {
	mu      sync.Mutex
	values  map[string]string
	writers map[string]string // key: MSP id of the writer
	lag     int               // reads through another org's peer before it sees a write
	reads   map[string]int    // key + reader MSP id: reads so far
	orgs    [][]string        // the endorsing orgs of each write
}

func newBaseline(lag int) *baseline {
	return &baseline{values: map[string]string{}, writers: map[string]string{}, reads: map[string]int{}, lag: lag}
}

func (b *baseline) handle(_ context.Context, call sdktest.Call) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch call.Function {
	case "Write":
		b.values[call.Args[0]] = call.Args[1]
		b.writers[call.Args[0]] = call.Caller.MSPID
		b.orgs = append(b.orgs, call.EndorsingOrgs)
		return nil, nil
	case "Read":
		key := call.Args[0]
		v, ok := b.values[key]
		if b.writers[key] != call.Caller.MSPID {
			b.reads[key+call.Caller.MSPID]++
			ok = ok && b.reads[key+call.Caller.MSPID] > b.lag
		}
		if !ok {
			return nil, codes.New(codes.NotFound, "key %s", key)
		}
		return []byte(v), nil
	}
	return nil, codes.New(codes.InvalidArgument, "unknown function %s", call.Function)
}

// writeProfiles writes a profiles folder of two orgs served by s, each profile naming an admin MSP
// folder, as network.sh writes for operators.
func writeProfiles(t *testing.T, s *sdktest.Server) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, s.WriteNetwork(dir,
		sdk.IdentityInfo{Name: "patient1", Org: "hospital", MSPID: "HospitalMSP", Role: "patient", Subject: "pat-7f3a9c21"},
		sdk.IdentityInfo{Name: "insurer1", Org: "insurer", MSPID: "InsurerMSP", Role: "insurer", Subject: "PAYER-0001"},
	))
	admins, err := sdk.OpenWallet(filepath.Join(dir, "admins"))
	require.NoError(t, err)
	for _, org := range []struct{ name, msp string }{{"hospital", "HospitalMSP"}, {"insurer", "InsurerMSP"}} {
		creds, err := s.Credentials(sdk.IdentityInfo{Name: "admin-" + org.name, MSPID: org.msp})
		require.NoError(t, err)
		require.NoError(t, admins.Put(creds))
		path := filepath.Join(dir, org.name+".json")
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		var p sdk.Profile
		require.NoError(t, json.Unmarshal(raw, &p))
		p.AdminMSP = "admins/admin-" + org.name
		raw, err = json.Marshal(p)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, raw, 0o644))
	}
	return dir
}

func newServer(t *testing.T, h sdktest.Handler) *sdktest.Server {
	t.Helper()
	s, err := sdktest.NewServer(h)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no profiles folder is a usage error", nil, 2, "hlprobe: -profiles is required"},
		{"an unknown flag is a usage error", []string{"-frob"}, 2, "flag provided but not defined: -frob"},
		{"a malformed timeout is a usage error", []string{"-profiles", "x", "-timeout", "soon"}, 2, "invalid value \"soon\""},
		{"-h shows the flags and succeeds", []string{"-h"}, 0, "-timeout duration"},
		{"a missing profiles folder fails", []string{"-profiles", "/nonexistent"}, 1, "hlprobe: read network:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runProbe(t, tc.args...)
			require.Equal(t, tc.code, code, errOut)
			require.Empty(t, out)
			require.Contains(t, errOut, tc.stderr)
		})
	}
}

func TestAProfileWithoutAdminMSPFails(t *testing.T) {
	s := newServer(t, newBaseline(0).handle)
	dir := t.TempDir()
	require.NoError(t, s.WriteNetwork(dir, sdk.IdentityInfo{Name: "patient1", Org: "hospital", MSPID: "HospitalMSP"}))
	code, _, errOut := runProbe(t, "-profiles", dir)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "the profile of hospital names no admin MSP folder (adminMsp)")
}

func TestEveryOrgWritesAndReadsEveryOther(t *testing.T) {
	b := newBaseline(0)
	dir := writeProfiles(t, newServer(t, b.handle))
	code, out, errOut := runProbe(t, "-profiles", dir)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "hlprobe: every org's gateway committed a write endorsed by every org and read the others'\n", out)

	b.mu.Lock()
	defer b.mu.Unlock()
	keys := []string{}
	for k := range b.values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	require.Equal(t, []string{"probe-hospital", "probe-insurer"}, keys)
	require.Equal(t, map[string]string{"probe-hospital": "HospitalMSP", "probe-insurer": "InsurerMSP"}, b.writers,
		"each org writes through its own gateway, as its admin")
	for _, orgs := range b.orgs {
		require.Equal(t, []string{"HospitalMSP", "InsurerMSP"}, orgs, "every org endorses")
	}
}

func TestAPeerThatHasNotSeenTheWriteFailsTheRound(t *testing.T) {
	dir := writeProfiles(t, newServer(t, newBaseline(1).handle))
	code, out, errOut := runProbe(t, "-profiles", dir)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "hlprobe: read probe-hospital through insurer's gateway:")
	require.Contains(t, errOut, "NOT_FOUND: key probe-hospital")
	require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %s", errOut)
}

func TestTheTimeoutBoundsTheRound(t *testing.T) {
	dir := writeProfiles(t, newServer(t, func(ctx context.Context, _ sdktest.Call) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	code, _, errOut := runProbe(t, "-profiles", dir, "-timeout", "200ms")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "hlprobe: submit through hospital's gateway:")
	require.Contains(t, errOut, "DeadlineExceeded")
}
