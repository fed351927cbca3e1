package consent_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/healthledger/healthledger/gateway-client/fhir"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
)

// recordedConsent holds answers of the consent contract (recorded by chaincode/consent
// TestFHIRExportFromChaincodeAnswers).
type recordedConsent struct {
	Consents  []consenttypes.Consent     `json:"consents"`
	AccessLog []consenttypes.AccessEntry `json:"accessLog"`
}

func readRecordedConsent(t *testing.T) recordedConsent {
	t.Helper()
	raw, err := os.ReadFile("../fhir/testdata/recorded/consent.json")
	require.NoError(t, err)
	var r recordedConsent
	require.NoError(t, json.Unmarshal(raw, &r))
	return r
}

// logLedger answers GetConsent with the recorded consents and ListAccessLog with n entries paged as
// the contract pages them (the bookmark is the next index).
type logLedger struct {
	mu       sync.Mutex
	consents []consenttypes.Consent
	log      []consenttypes.AccessEntry
	pages    int
}

func (l *logLedger) handle(_ context.Context, call sdktest.Call) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch call.Function {
	case "GetConsent":
		for _, c := range l.consents {
			if c.ID == call.Args[0] {
				return json.Marshal(c)
			}
		}
		return nil, codes.New(codes.NotFound, "consent %s", call.Args[0])
	case "ListAccessLog":
		l.pages++
		size, _ := strconv.Atoi(call.Args[1])
		from := 0
		if call.Args[2] != "" {
			from, _ = strconv.Atoi(call.Args[2])
		}
		to := min(from+size, len(l.log))
		page := consenttypes.AccessLogPage{Items: l.log[from:to]}
		if to < len(l.log) {
			page.Bookmark = strconv.Itoa(to)
		}
		return json.Marshal(page)
	}
	return nil, codes.New(codes.InvalidArgument, "unknown function %s", call.Function)
}

func TestFHIRExports(t *testing.T) {
	ctx := context.Background()
	rec := readRecordedConsent(t)
	// A long log: the recorded read repeated, so that the export crosses pages.
	var long []consenttypes.AccessEntry
	for i := range 450 {
		e := rec.AccessLog[0]
		e.ID, e.TxID = e.RecordID+"@tx"+strconv.Itoa(i), "tx"+strconv.Itoa(i)
		long = append(long, e)
	}
	l := &logLedger{consents: rec.Consents, log: long}
	c, err := sdktest.NewClient(l.handle, sdk.IdentityInfo{Name: "patient1", MSPID: "HospitalMSP", Role: "patient", Subject: "pat-7f3a9c21"}, sdk.WithoutRetry())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	client := consent.New(c)

	r, err := client.FHIRConsent(ctx, "c-pay")
	require.NoError(t, err)
	require.Equal(t, "inactive", r.Status, "c-pay was revoked")
	require.Equal(t, "deny", r.Provision.Type)
	_, err = client.FHIRConsent(ctx, "c-none")
	require.ErrorIs(t, err, sdk.ErrNotFound)

	b, err := client.FHIRAuditEvents(ctx, "pat-7f3a9c21", 0)
	require.NoError(t, err)
	require.Equal(t, "searchset", b.Type)
	require.Equal(t, 450, *b.Total)
	require.Len(t, b.Entry, 450)
	require.Equal(t, 3, l.pages, "pages of 200")
	ev := b.Entry[449].Resource.(*fhir.AuditEventResource)
	require.Equal(t, "tx449", ev.Entity[1].Detail[0].ValueString)
	require.Equal(t, "healthchannel", ev.Source.Site)

	capped, err := client.FHIRAuditEvents(ctx, "pat-7f3a9c21", 250)
	require.NoError(t, err)
	require.Len(t, capped.Entry, 250)

	_, err = client.FHIRAuditEvents(ctx, "pat-7f3a9c21", -1)
	require.ErrorIs(t, err, sdk.ErrInvalidArgument)
	l.log[3].Action = "peek"
	_, err = client.FHIRAuditEvents(ctx, "pat-7f3a9c21", 10)
	require.ErrorIs(t, err, sdk.ErrInvalidArgument)
}
