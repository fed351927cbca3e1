package consent_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/gateway-client/fhir"
	"github.com/stretchr/testify/require"
)

// recordedDir holds the chaincode answers that the fhir package's tests convert and validate against
// the FHIR R4 schema. This test produces them from the real contract; it fails when they drift, and
// rewrites them when HEALTHLEDGER_UPDATE_RECORDED=1.
var recordedDir = filepath.Join("..", "..", "gateway-client", "fhir", "testdata", "recorded")

// ConsentRecording is the content of consent.json.
type consentRecording struct {
	Consents  []consenttypes.Consent     `json:"consents"`
	AccessLog []consenttypes.AccessEntry `json:"accessLog"`
	Now       time.Time                  `json:"now"`
}

func TestFHIRExportFromChaincodeAnswers(t *testing.T) {
	f := newFixture(t)
	start := cctest.DefaultStart()
	f.grant("patient1", consentDoc("c-treat", pat1, hospital+"/provider/"+npi1,
		actions(consenttypes.ActionAccess, consenttypes.ActionUse), purposes(consenttypes.PurposeTreatment, consenttypes.PurposeCareManagement),
		classes(consenttypes.ClassObservation, consenttypes.ClassCondition), period(start, start.AddDate(1, 0, 0))))
	f.grant("patient1", consentDoc("c-pay", pat1, insurer, actions(consenttypes.ActionDisclose),
		purposes(consenttypes.PurposePayment), classes(consenttypes.AllClasses), deny))
	cctest.RequireOK(t, f.invoke("patient1", "Revoke", "c-pay", "no longer insured there"))
	cctest.RequireOK(t, f.invoke("provider1", "RecordAccess", pat1, "Observation", "TREAT", "r-1"))

	rec := consentRecording{Now: start.Add(time.Hour)}
	for _, id := range []string{"c-treat", "c-pay"} {
		rec.Consents = append(rec.Consents, cctest.Decode[consenttypes.Consent](t, f.eval("patient1", "GetConsent", id)))
	}
	rec.AccessLog = cctest.Decode[consenttypes.AccessLogPage](t, f.eval("patient1", "ListAccessLog", pat1, "0", "")).Items
	require.Len(t, rec.AccessLog, 2, "the read and the registration")
	// The registration's detail is the hash of a key the fixture draws at random: the recording holds
	// a fixed stand-in of the same form.
	require.Equal(t, consenttypes.ActionPatientRegistered, rec.AccessLog[1].Action)
	require.Len(t, rec.AccessLog[1].Detail, 64)
	rec.AccessLog[1].Detail = sum("the test key")
	matchRecording(t, "consent.json", rec)

	active, err := fhir.Consent(rec.Consents[0], rec.Now)
	require.NoError(t, err)
	require.Equal(t, "active", active.Status)
	require.Equal(t, "Practitioner", active.Provision.Actor[0].Reference.Type)
	require.Equal(t, "HospitalMSP/provider/"+npi1, active.Provision.Actor[0].Reference.Identifier.Value)
	require.Len(t, active.Provision.Purpose, 2)
	revoked, err := fhir.Consent(rec.Consents[1], rec.Now)
	require.NoError(t, err)
	require.Equal(t, "inactive", revoked.Status)
	require.Equal(t, "deny", revoked.Provision.Type)
	b, err := fhir.AuditBundle(rec.AccessLog, fhir.Source{Channel: "healthchannel", Chaincode: cc}, fhir.BundleSearchset)
	require.NoError(t, err)
	read := b.Entry[0].Resource.(*fhir.AuditEventResource)
	require.Equal(t, "R", read.Action)
	require.Equal(t, "TREAT", read.PurposeOfEvent[0].Coding[0].Code)
	require.Equal(t, "Consent/c-treat", read.Entity[2].What.Reference, "the consent that permitted the read")
	require.Equal(t, "110114", b.Entry[1].Resource.(*fhir.AuditEventResource).Type.Code, "the registration is an identity event")
}

// matchRecording requires that v, as JSON, equals the recorded file, or rewrites the file when
// HEALTHLEDGER_UPDATE_RECORDED=1.
func matchRecording(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	path := filepath.Join(recordedDir, name)
	if os.Getenv("HEALTHLEDGER_UPDATE_RECORDED") == "1" {
		require.NoError(t, os.WriteFile(path, append(raw, '\n'), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with HEALTHLEDGER_UPDATE_RECORDED=1 to record %s", name)
	require.JSONEq(t, string(want), string(raw), "the recorded answers in %s drifted from the chaincode: rerun with HEALTHLEDGER_UPDATE_RECORDED=1 and review the diff", name)
}
