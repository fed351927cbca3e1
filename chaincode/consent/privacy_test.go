package consent_test

import (
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

// TestPrivateDetailsNeverReachPublicData plants a marker in a record's transient details, runs the
// whole life of the record, and scans everything a block would carry (arguments, responses and events
// of every submitted transaction) and everything public state and its history hold.
func TestPrivateDetailsNeverReachPublicData(t *testing.T) {
	const marker = "PHI-MARKER-5c0ffee"
	f := newFixture(t)
	var submitted []*cctest.Result
	var args [][]string
	submit := func(name, fn string, opts []cctest.CallOption, a ...string) {
		t.Helper()
		res := f.invokeWith(name, fn, opts, a...)
		cctest.RequireOK(t, res)
		submitted = append(submitted, res)
		args = append(args, a)
	}
	raw := asJSON(t, consenttypes.RecordDetails{
		URI:         "https://ehr.example/patients/" + marker + "/lab.pdf",
		Description: "Lipid panel of Jane " + marker,
		Salt:        "c2FsdHNhbHRzYWx0c2FsdA",
	})
	details := []cctest.CallOption{cctest.WithTransient(map[string][]byte{consenttypes.TransientRecord: []byte(raw)})}
	submit("patient1", "Grant", nil, asJSON(t, consentDoc("c-1", pat1, hospital)))
	submit("provider1", "RegisterRecord", nil, "r-1", pat1, "Observation", sum("document"), sum(raw))
	submit("provider1", "PutRecordDetails", details, "r-1")
	submit("provider1", "RecordAccess", nil, pat1, "Observation", "TREAT", "r-1")

	// Reading the details back works, and only through an evaluation.
	view := cctest.DecodeSealed[consenttypes.RecordDetailsView](t, f.eval("provider1", "GetRecordDetails", "r-1"))
	require.Contains(t, view.URI, marker)
	require.Contains(t, string(f.l.PrivateData(cc, consenttypes.CollectionFor(hospital), "r-1")), marker,
		"the marker is in the private collection, so the scan below can find it if it leaks")

	submit("patient1", "RequestErasure", nil, "r-1", "")
	submit("provider1", "EraseRecord", nil, "r-1", "")

	for i, res := range submitted {
		require.NotContains(t, string(res.Payload), marker, "the response of tx %d", i)
		require.NotContains(t, strings.Join(args[i], " "), marker, "the arguments of tx %d", i)
	}
	for _, ev := range f.l.Events() {
		require.NotContains(t, string(ev.Payload), marker, "event %s", ev.Name)
	}
	keys := f.l.Keys(cc)
	require.NotEmpty(t, keys)
	for _, k := range keys {
		require.NotContains(t, k, marker)
		require.NotContains(t, string(f.l.State(cc, k)), marker, "public key %q", k)
		for _, h := range f.l.History(cc, k) {
			require.NotContains(t, string(h.Value), marker, "a version of %q", k)
		}
	}
	require.Nil(t, f.l.PrivateData(cc, consenttypes.CollectionFor(hospital), "r-1"), "after erasure the details are gone")
}
