//go:build integration

package integration

// The test in this file sends private input that is wrong in every way a client can get it wrong to
// every transaction that takes private (transient) input, each value carrying a marker, and then
// requires that no marker is in an answer, nor in a log of the network: chaincode servers, peers,
// orderers and CAs (docs/privacy.md, "No PHI in errors or logs").

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/stretchr/testify/require"
)

// phiMarkers hands out markers unique to this run: each one names the call and the kind of bad input
// it went in, so a leak says where it came from.
type phiMarkers struct {
	run  string
	seen []string
}

func (m *phiMarkers) next(where string) string {
	v := fmt.Sprintf("PHIMARK%s%03d", m.run, len(m.seen))
	m.seen = append(m.seen, v+" ("+where+")")
	return v
}

// marker returns the marker of an entry of m.seen.
func markerOf(seen string) string { return strings.SplitN(seen, " ", 2)[0] }

// phiBadInputs returns private inputs derived from valid, every one refused and every one carrying
// markers: text that is no JSON, JSON cut short, an unknown field named by a marker, every field of
// the value set to a marker (a type error at the first that is no string), and the valid value with
// every string in it (nested ones too) replaced by a marker (each fails validation somewhere).
func phiBadInputs(t *testing.T, m *phiMarkers, what string, valid any) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	out["not JSON"] = []byte(m.next(what+": not JSON") + " {")
	out["cut short"] = []byte(`{"` + m.next(what+": cut short") + `": "` + m.next(what+": cut short"))
	mk := m.next(what + ": unknown field")
	out["unknown field"] = []byte(`{"` + mk + `": "` + mk + `"}`)

	every := map[string]any{}
	typ := reflect.TypeOf(valid)
	for i := range typ.NumField() {
		name := strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		every[name] = m.next(what + ": field " + name)
	}
	raw, err := json.Marshal(every)
	require.NoError(t, err)
	out["every field a marker"] = raw

	raw, err = json.Marshal(valid)
	require.NoError(t, err)
	var tree any
	require.NoError(t, json.Unmarshal(raw, &tree))
	replaced := 0
	var walk func(v any, path string) any
	walk = func(v any, path string) any {
		switch x := v.(type) {
		case string:
			replaced++
			return m.next(what + ": " + path)
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e, path+"."+k)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e, fmt.Sprintf("%s[%d]", path, i))
			}
		}
		return v
	}
	tree = walk(tree, what)
	require.NotZero(t, replaced, "%s: the valid value holds no string to replace", what)
	raw, err = json.Marshal(tree)
	require.NoError(t, err)
	out["strings replaced by markers"] = raw
	return out
}

// TestPrivateInputMarkersReachNoAnswerAndNoLog: RegisterCoverage, UpdateCoverage, SubmitClaim,
// Resubmit and Pay (claims) and PutRecordDetails (consent), each called by the party that may call
// it, on an object in the state the call needs, with every bad private input of phiBadInputs: each
// call is refused, no answer holds a marker, and after all of them no log file of the network does.
// The log scan is checked against a control: the public id of a refused call, which the chaincode
// may quote, is found in a log by the same scan.
func TestPrivateInputMarkersReachNoAnswerAndNoLog(t *testing.T) {
	if env.netdir == "" {
		t.Skip("the network under test was not started by this run: its logs are not here to scan")
	}
	cast := claimsConnectCast(t)
	insurerMSP := cast.insurer.info.MSPID
	who, patient := claimsPayingPatient(t, cast)

	terms := claimstypes.CoverageTerms{
		Member: who.Subject, PlanID: "PLAN-IT-PHI", PeriodStart: "2000-01-01", PeriodEnd: "2099-12-31",
		CoveredCodes: []string{"99213"}, DeductibleCents: 0, CoinsuranceBP: 1000, AnnualLimitCents: 1_000_000,
		FeeSchedule: []claimstypes.FeeScheduleEntry{{Code: "99213", AllowedUnitCents: 9000}},
	}
	cov := claimsRegisterCoverage(t, cast.insurer, terms, cast.provider)
	v := claimsNewVariant()
	details := claimsDetails(t, []string{"J06.9"}, claimstypes.ServiceLine{Code: "99213", ServiceDate: v.date, Quantity: 1,
		UnitChargeCents: 10000 + v.cents, DiagnosisPointers: []int{1}})
	submit := func(id string) {
		_, err := cast.provider.claims.SubmitClaim(ctx(t), claimstypes.ClaimSubmission{ID: id, Patient: who.Subject, CoverageID: cov.ID}, details)
		require.NoError(t, err)
		claimsAwaitStatus(t, id, claimstypes.StatusSubmitted, cast.insurer)
	}
	pended, adjudicated := unique("claims-phi-pend"), unique("claims-phi-adj")
	submit(pended)
	_, err := cast.insurer.claims.Pend(ctx(t), pended, "more documentation needed")
	require.NoError(t, err)
	claimsAwaitStatus(t, pended, claimstypes.StatusPended, cast.provider)
	details.Nonce = claimsNonce(t, "phi")
	details.Lines[0].UnitChargeCents++
	details = claimsDetails(t, details.Diagnoses, details.Lines...)
	submit(adjudicated)
	_, err = cast.insurer.claims.Adjudicate(ctx(t), adjudicated)
	require.NoError(t, err)
	claimsAwaitStatus(t, adjudicated, claimstypes.StatusAdjudicated, cast.provider)

	consentGrant(t, patient.consent, consenttypes.Consent{
		ID: unique("it-phi-collect"), Patient: who.Subject, Grantee: consentParty(identity(t, "provider", 0)), Decision: consenttypes.Permit,
		Actions: []consenttypes.Action{consenttypes.ActionCollect}, Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment},
		Classes: []consenttypes.DataClass{consenttypes.ClassObservation},
	})
	recordID := unique("rec-phi")
	consentRegister(t, cast.provider.consent, recordID, who.Subject, consenttypes.ClassObservation,
		consenttypes.RecordDetails{URI: "fhir://it/Observation/phi", Description: "marker test"}, []byte("observation of the marker test"))
	syncPeers(t, orgClients(t))

	both := []string{cast.provider.info.MSPID, insurerMSP}
	custodianOrg := []string{cast.provider.info.MSPID}
	m := &phiMarkers{run: fmt.Sprintf("%d", time.Now().UnixNano()%1_000_000_000)}
	type target struct {
		who       *sdk.Client
		cc, fn    string
		args      []string
		field     string
		valid     any
		endorsers []string
	}
	targets := []target{
		{cast.insurer.gw, "claims", "RegisterCoverage", []string{unique("claims-cov-phi")}, claimstypes.TransientCoverage, terms, both},
		{cast.insurer.gw, "claims", "UpdateCoverage", []string{cov.ID}, claimstypes.TransientCoverage, terms, both},
		{cast.provider.gw, "claims", "SubmitClaim", []string{mustJSON(t, claimstypes.ClaimSubmission{ID: unique("claims-phi-new"), Patient: who.Subject, CoverageID: cov.ID})},
			claimstypes.TransientClaim, details, both},
		{cast.provider.gw, "claims", "Resubmit", []string{pended}, claimstypes.TransientClaim, details, both},
		{cast.insurer.gw, "claims", "Pay", []string{adjudicated}, claimstypes.TransientPayment, claimstypes.PaymentInput{AmountCents: 100, PaymentRef: "EFT-PHI"}, both},
		{cast.provider.gw, "consent", "PutRecordDetails", []string{recordID}, consenttypes.TransientRecord,
			consenttypes.RecordDetails{URI: "fhir://it/Observation/phi", Description: "marker test", Salt: "00112233445566778899aabbccddeeff"}, custodianOrg},
	}
	calls := 0
	for _, tg := range targets {
		inputs := phiBadInputs(t, m, tg.fn, tg.valid)
		kinds := make([]string, 0, len(inputs))
		for k := range inputs {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, kind := range kinds {
			_, err := tg.who.Contract(tg.cc).Submit(ctx(t), tg.fn, tg.args, sdk.WithTransient(map[string][]byte{tg.field: inputs[kind]}),
				sdk.WithEndorsingOrgs(tg.endorsers...))
			require.Error(t, err, "%s with %s: bad private input must be refused", tg.fn, kind)
			require.ErrorIs(t, err, sdk.ErrInvalidArgument, "%s with %s", tg.fn, kind)
			text := fmt.Sprintf("%v | %+v", err, err)
			for _, s := range m.seen {
				require.NotContains(t, text, markerOf(s), "%s with %s: the answer repeats marker %s", tg.fn, kind, s)
			}
			calls++
		}
	}

	// The SDK's own checks, before anything is sent, repeat no marker either.
	bad := phiBadInputs(t, m, "sdk SubmitClaim", details)
	var viaSDK claimstypes.ClaimDetails
	require.NoError(t, json.Unmarshal(bad["strings replaced by markers"], &viaSDK))
	_, err = cast.provider.claims.SubmitClaim(ctx(t), claimstypes.ClaimSubmission{ID: unique("claims-phi-sdk"), Patient: who.Subject, CoverageID: cov.ID}, viaSDK)
	require.Error(t, err)
	for _, s := range m.seen {
		require.NotContains(t, fmt.Sprintf("%v | %+v", err, err), markerOf(s), "the SDK's refusal repeats marker %s", s)
	}

	// A public id quoted by a refusal is the control: the scan must find it.
	control := unique("claims-phi-control")
	_, err = cast.insurer.gw.Contract("claims").Submit(ctx(t), "Pay", []string{control},
		sdk.WithTransient(map[string][]byte{claimstypes.TransientPayment: []byte(`{}`)}), sdk.WithEndorsingOrgs(both...))
	require.Error(t, err)
	logs, scanned := phiScanLogs(t, filepath.Join(env.netdir, "logs"), append(append([]string{}, m.seen...), control+" (control)"))
	t.Logf("%d refused calls with %d markers; %d log files (%d kB) scanned", calls, len(m.seen), len(scanned), phiBytes(scanned)/1024)
	require.Contains(t, logs, control, "the control id is in no log: the scan looks at the wrong files")
	for _, s := range m.seen {
		require.NotContains(t, logs, markerOf(s), "marker %s is in %v", s, logs[markerOf(s)])
	}
}

// phiScanLogs reads every file under dir and returns, for each entry of markers (a marker and what
// it marks) found in some file, the files holding it, and the files scanned with their sizes.
func phiScanLogs(t *testing.T, dir string, markers []string) (map[string][]string, map[string]int64) {
	t.Helper()
	found := map[string][]string{}
	scanned := map[string]int64{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned[path] = int64(len(raw))
		for _, s := range markers {
			if mk := markerOf(s); strings.Contains(string(raw), mk) {
				found[mk] = append(found[mk], filepath.Base(path))
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, scanned, "no log file under %s", dir)
	return found, scanned
}

func phiBytes(files map[string]int64) int64 {
	var n int64
	for _, s := range files {
		n += s
	}
	return n
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}
