package consent_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
)

// recorder is a fake gateway: it records every call and answers with a canned payload or error.
type recorder struct {
	mu      sync.Mutex
	calls   []sdktest.Call
	payload []byte
	err     error
}

func (r *recorder) handle(_ context.Context, call sdktest.Call) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
	if call.Function == "GetRecordDetails" && r.err == nil {
		// The private read answers sealed, as the chaincode does.
		return sdktest.Sealed(call, json.RawMessage(r.payload))
	}
	return r.payload, r.err
}

func (r *recorder) last(t *testing.T) sdktest.Call {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.calls, "no call reached the gateway")
	return r.calls[len(r.calls)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func newClient(t *testing.T, r *recorder, id sdk.IdentityInfo) *consent.Client {
	t.Helper()
	c, err := sdktest.NewClient(r.handle, id, sdk.WithoutRetry())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return consent.New(c)
}

var provider1 = sdk.IdentityInfo{Name: "provider1", MSPID: "HospitalMSP", Role: "provider", Subject: "1003000126"}

// testSalt is base64url of the 16 bytes "saltsaltsaltsalt".
const testSalt = "c2FsdHNhbHRzYWx0c2FsdA"

func sampleConsent() consenttypes.Consent {
	return consenttypes.Consent{
		ID: "c-1", Patient: "pat-7f3a9c21", Grantee: "InsurerMSP", Decision: consenttypes.Permit,
		Actions:  []consenttypes.Action{consenttypes.ActionDisclose},
		Purposes: []consenttypes.Purpose{consenttypes.PurposePayment},
		Classes:  []consenttypes.DataClass{consenttypes.ClassClaim},
	}
}

func TestCallsReachTheChaincodeAsTheWireAPISays(t *testing.T) {
	ctx := context.Background()
	hash := consent.Digest([]byte("document"))
	anchor, err := consenttypes.Anchor(testSalt, []byte("document"))
	require.NoError(t, err)
	insurer := consenttypes.Grantee{MSPID: "InsurerMSP"}
	tests := []struct {
		name   string
		call   func(c *consent.Client) error
		fn     string
		args   []string
		submit bool
	}{
		{"Grant submits the consent as one JSON document", func(c *consent.Client) error {
			_, err := c.Grant(ctx, sampleConsent())
			return err
		}, "Grant", []string{`{"id":"c-1","patient":"pat-7f3a9c21","grantee":"InsurerMSP","decision":"permit","actions":["disclose"],"purposes":["HPAYMT"],"dataClasses":["Claim"]}`}, true},
		{"Update submits the consent with its version", func(c *consent.Client) error {
			doc := sampleConsent()
			doc.Version = 3
			_, err := c.Update(ctx, doc)
			return err
		}, "Update", []string{`{"id":"c-1","patient":"pat-7f3a9c21","grantee":"InsurerMSP","decision":"permit","actions":["disclose"],"purposes":["HPAYMT"],"dataClasses":["Claim"],"version":3}`}, true},
		{"Revoke submits id and reason", func(c *consent.Client) error {
			_, err := c.Revoke(ctx, "c-1", "moved")
			return err
		}, "Revoke", []string{"c-1", "moved"}, true},
		{"GetConsent evaluates", func(c *consent.Client) error {
			_, err := c.GetConsent(ctx, "c-1")
			return err
		}, "GetConsent", []string{"c-1"}, false},
		{"ConsentHistory evaluates", func(c *consent.Client) error {
			_, err := c.ConsentHistory(ctx, "c-1")
			return err
		}, "ConsentHistory", []string{"c-1"}, false},
		{"ListConsentsByPatient passes the page size as a number", func(c *consent.Client) error {
			_, err := c.ListConsentsByPatient(ctx, "pat-7f3a9c21", 0, "")
			return err
		}, "ListConsentsByPatient", []string{"pat-7f3a9c21", "0", ""}, false},
		{"ListConsentsByGrantee passes the grantee's string form", func(c *consent.Client) error {
			_, err := c.ListConsentsByGrantee(ctx, consenttypes.Grantee{MSPID: "HospitalMSP", Role: "provider"}, 20, "bm")
			return err
		}, "ListConsentsByGrantee", []string{"HospitalMSP/provider", "20", "bm"}, false},
		{"CheckAccess evaluates the five question parts", func(c *consent.Client) error {
			_, err := c.CheckAccess(ctx, "pat-7f3a9c21", insurer, consenttypes.ActionDisclose, consenttypes.PurposePayment, consenttypes.ClassClaim)
			return err
		}, "CheckAccess", []string{"pat-7f3a9c21", "InsurerMSP", "disclose", "HPAYMT", "Claim"}, false},
		{"RecordAccess submits", func(c *consent.Client) error {
			_, err := c.RecordAccess(ctx, "pat-7f3a9c21", consenttypes.ClassObservation, consenttypes.PurposeTreatment, "r-1")
			return err
		}, "RecordAccess", []string{"pat-7f3a9c21", "Observation", "TREAT", "r-1"}, true},
		{"ListAccessLog evaluates", func(c *consent.Client) error {
			_, err := c.ListAccessLog(ctx, "pat-7f3a9c21", 5, "")
			return err
		}, "ListAccessLog", []string{"pat-7f3a9c21", "5", ""}, false},
		{"AddDelegate submits subject then MSP id", func(c *consent.Client) error {
			_, err := c.AddDelegate(ctx, "pat-2b8e4d10", "HospitalMSP")
			return err
		}, "AddDelegate", []string{"pat-2b8e4d10", "HospitalMSP"}, true},
		{"RemoveDelegate submits subject then MSP id", func(c *consent.Client) error {
			return c.RemoveDelegate(ctx, "pat-2b8e4d10", "HospitalMSP")
		}, "RemoveDelegate", []string{"pat-2b8e4d10", "HospitalMSP"}, true},
		{"ListDelegates evaluates", func(c *consent.Client) error {
			_, err := c.ListDelegates(ctx, "pat-7f3a9c21", 0, "")
			return err
		}, "ListDelegates", []string{"pat-7f3a9c21", "0", ""}, false},
		{"VerifyDocument evaluates the document's anchor under the salt", func(c *consent.Client) error {
			_, err := c.VerifyDocument(ctx, "r-1", testSalt, []byte("document"))
			return err
		}, "VerifyRecord", []string{"r-1", anchor}, false},
		{"VerifyRecord sends the digest in lowercase", func(c *consent.Client) error {
			_, err := c.VerifyRecord(ctx, "r-1", strings.ToUpper(hash))
			return err
		}, "VerifyRecord", []string{"r-1", hash}, false},
		{"GetRecord evaluates", func(c *consent.Client) error {
			_, err := c.GetRecord(ctx, "r-1")
			return err
		}, "GetRecord", []string{"r-1"}, false},
		{"RecordHistory evaluates", func(c *consent.Client) error {
			_, err := c.RecordHistory(ctx, "r-1")
			return err
		}, "RecordHistory", []string{"r-1"}, false},
		{"GetRecordDetails is only ever evaluated, sealed", func(c *consent.Client) error {
			_, err := c.GetRecordDetails(ctx, "r-1")
			return err
		}, "GetRecordDetails", []string{"r-1"}, false},
		{"ListRecordsByPatient evaluates", func(c *consent.Client) error {
			_, err := c.ListRecordsByPatient(ctx, "pat-7f3a9c21", 0, "")
			return err
		}, "ListRecordsByPatient", []string{"pat-7f3a9c21", "0", ""}, false},
		{"RequestErasure submits", func(c *consent.Client) error {
			_, err := c.RequestErasure(ctx, "r-1", "")
			return err
		}, "RequestErasure", []string{"r-1", ""}, true},
		{"EraseRecord submits", func(c *consent.Client) error {
			_, err := c.EraseRecord(ctx, "r-1", "patient request")
			return err
		}, "EraseRecord", []string{"r-1", "patient request"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{payload: []byte(`{}`)}
			if strings.HasSuffix(tc.fn, "History") {
				r.payload = []byte(`[]`)
			}
			require.NoError(t, tc.call(newClient(t, r, provider1)))
			got := r.last(t)
			require.Equal(t, consent.Chaincode, got.Chaincode)
			require.Equal(t, tc.fn, got.Function)
			require.Equal(t, tc.args, got.Args)
			require.Equal(t, tc.submit, got.Submit)
			if tc.fn == "GetRecordDetails" {
				require.Len(t, got.Transient[seal.TransientKey], seal.KeySize, "a sealed read carries a fresh seal key")
				require.Len(t, got.Transient, 1)
				require.Equal(t, []string{provider1.MSPID}, got.EndorsingOrgs, "and the key goes to the caller's org only")
				return
			}
			require.Empty(t, got.Transient, "only RegisterRecord carries transient data")
		})
	}
}

func TestResultsAreTyped(t *testing.T) {
	ctx := context.Background()
	t.Run("a decision decodes with its consent ids", func(t *testing.T) {
		r := &recorder{payload: []byte(`{"decision":"permit","consentIds":["c-1"],"reason":"permitted","at":"2025-01-01T09:00:00Z"}`)}
		d, err := newClient(t, r, provider1).CheckAccess(ctx, "pat-7f3a9c21", consenttypes.Grantee{MSPID: "InsurerMSP"}, consenttypes.ActionDisclose, consenttypes.PurposePayment, consenttypes.ClassClaim)
		require.NoError(t, err)
		require.True(t, d.Permitted())
		require.Equal(t, []string{"c-1"}, d.ConsentIDs)
		require.Equal(t, 2025, d.At.Year())
	})
	t.Run("the sealed record details open to the plain view", func(t *testing.T) {
		r := &recorder{payload: []byte(`{"recordId":"r-1","collection":"consentRecordsHospitalMSP","uri":"https://ehr.example/r/1","description":"lipid panel"}`)}
		v, err := newClient(t, r, provider1).GetRecordDetails(ctx, "r-1")
		require.NoError(t, err)
		require.Equal(t, "https://ehr.example/r/1", v.URI)
		require.Equal(t, "lipid panel", v.Description)
	})
	t.Run("record details that are not sealed fail with sdk.ErrUnsealed", func(t *testing.T) {
		r := &recorder{err: nil, payload: []byte(`{"uri":"https://ehr.example/r/1"}`)}
		c, err := sdktest.NewClient(func(_ context.Context, call sdktest.Call) ([]byte, error) { return r.payload, nil }, provider1, sdk.WithoutRetry())
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		_, err = consent.New(c).GetRecordDetails(ctx, "r-1")
		require.ErrorIs(t, err, sdk.ErrUnsealed)
	})
	t.Run("an empty history is an empty slice", func(t *testing.T) {
		r := &recorder{payload: nil}
		h, err := newClient(t, r, provider1).ConsentHistory(ctx, "c-1")
		require.NoError(t, err)
		require.NotNil(t, h)
		require.Empty(t, h)
	})
	t.Run("a page keeps its bookmark", func(t *testing.T) {
		r := &recorder{payload: []byte(`{"items":[{"id":"c-1","patient":"p","grantee":"InsurerMSP","decision":"deny","actions":["use"],"purposes":["TREAT"],"dataClasses":["*"]}],"bookmark":"next"}`)}
		p, err := newClient(t, r, provider1).ListConsentsByPatient(ctx, "p", 1, "")
		require.NoError(t, err)
		require.Len(t, p.Items, 1)
		require.Equal(t, consenttypes.Deny, p.Items[0].Decision)
		require.Equal(t, "next", p.Bookmark)
	})
}

func TestRegisterRecordKeepsDetailsPrivate(t *testing.T) {
	ctx := context.Background()
	r := &recorder{payload: []byte(`{"id":"r-1","patient":"pat-7f3a9c21","dataClass":"Observation","sha256":"x","registeredBy":"a","registeredByMsp":"HospitalMSP","registeredAt":"2025-01-01T09:00:00Z","collection":"consentRecordsHospitalMSP","purpose":"TREAT","consentIds":["c-1"]}`)}
	c := newClient(t, r, provider1)
	rec, err := c.RegisterRecord(ctx, consent.RegisterRequest{
		RecordID: "r-1", Patient: "pat-7f3a9c21", DataClass: consenttypes.ClassObservation, Document: []byte("doc"),
		Details: consenttypes.RecordDetails{URI: "https://ehr.example/secret-uri", Description: "secret description"},
	})
	require.NoError(t, err)
	require.Equal(t, "consentRecordsHospitalMSP", rec.Collection)
	salt, err := consenttypes.DecodeSalt(rec.Salt)
	require.NoError(t, err, "the answer carries the salt the verifier needs")
	require.Len(t, salt, consenttypes.MinSaltBytes)

	require.Len(t, r.calls, 2, "the anchor, then the details")
	anchor, put := r.calls[0], r.calls[1]
	require.True(t, anchor.Submit)
	require.Equal(t, "RegisterRecord", anchor.Function)
	require.Empty(t, anchor.Transient, "the anchor carries no private data: every endorsing org sees it")
	require.Empty(t, anchor.EndorsingOrgs, "the anchor is endorsed as the chaincode's policy asks")
	require.NotContains(t, strings.Join(anchor.Args, " "), "secret")

	require.True(t, put.Submit)
	require.Equal(t, "PutRecordDetails", put.Function)
	require.Equal(t, []string{"r-1"}, put.Args)
	require.Equal(t, []string{"HospitalMSP"}, put.EndorsingOrgs, "only the collection's member org endorses the details")
	var details consenttypes.RecordDetails
	require.NoError(t, json.Unmarshal(put.Transient[consenttypes.TransientRecord], &details))
	require.Equal(t, "https://ehr.example/secret-uri", details.URI)
	require.Equal(t, "secret description", details.Description)
	require.Equal(t, rec.Salt, details.Salt, "a random salt is added, and kept in the private details")
	sum := sha256.Sum256(put.Transient[consenttypes.TransientRecord])
	salted, err := consenttypes.Anchor(rec.Salt, []byte("doc"))
	require.NoError(t, err)
	require.NotEqual(t, consent.Digest([]byte("doc")), salted, "the public anchor is no plain digest of the document")
	require.Equal(t, []string{"r-1", "pat-7f3a9c21", "Observation", salted, hex.EncodeToString(sum[:])}, anchor.Args,
		"the anchor is the document's HMAC under the salt, and commits to the exact bytes the details transaction stores")

	_, err = c.RegisterRecord(ctx, consent.RegisterRequest{
		RecordID: "r-2", Patient: "pat-7f3a9c21", DataClass: consenttypes.ClassObservation, Document: []byte("doc"),
		Details: consenttypes.RecordDetails{URI: "https://ehr.example/secret-uri"},
	})
	require.NoError(t, err)
	var again consenttypes.RecordDetails
	require.NoError(t, json.Unmarshal(r.last(t).Transient[consenttypes.TransientRecord], &again))
	require.NotEqual(t, details.Salt, again.Salt, "every registration draws its own salt")
}

func TestBadInputFailsLocally(t *testing.T) {
	ctx := context.Background()
	good := consent.Digest([]byte("doc"))
	tests := []struct {
		name string
		call func(c *consent.Client) error
	}{
		{"a consent with an unknown purpose", func(c *consent.Client) error {
			doc := sampleConsent()
			doc.Purposes = []consenttypes.Purpose{"FUN"}
			_, err := c.Grant(ctx, doc)
			return err
		}},
		{"a consent whose period ends before it starts", func(c *consent.Client) error {
			doc := sampleConsent()
			doc.Period.End = doc.Period.Start.AddDate(1, 0, 0)
			doc.Period.Start = doc.Period.End.AddDate(1, 0, 0)
			_, err := c.Update(ctx, doc)
			return err
		}},
		{"a malformed consent id", func(c *consent.Client) error {
			_, err := c.Revoke(ctx, "c 1", "")
			return err
		}},
		{"a grantee with a subject but no role", func(c *consent.Client) error {
			_, err := c.CheckAccess(ctx, "p", consenttypes.Grantee{MSPID: "InsurerMSP", Subject: "x"}, consenttypes.ActionUse, consenttypes.PurposeTreatment, consenttypes.ClassClaim)
			return err
		}},
		{"the wildcard class in a request", func(c *consent.Client) error {
			_, err := c.RecordAccess(ctx, "p", consenttypes.AllClasses, consenttypes.PurposeTreatment, "r-1")
			return err
		}},
		{"a short hash", func(c *consent.Client) error {
			_, err := c.VerifyRecord(ctx, "r-1", good[:10])
			return err
		}},
		{"record details without a uri", func(c *consent.Client) error {
			_, err := c.RegisterRecord(ctx, consent.RegisterRequest{RecordID: "r-1", Patient: "p", DataClass: consenttypes.ClassObservation, Document: []byte("doc")})
			return err
		}},
		{"record details with a one-byte salt", func(c *consent.Client) error {
			_, err := c.RegisterRecord(ctx, consent.RegisterRequest{RecordID: "r-1", Patient: "p", DataClass: consenttypes.ClassObservation, Document: []byte("doc"),
				Details: consenttypes.RecordDetails{URI: "https://ehr.example/r/1", Salt: "QQ"}})
			return err
		}},
		{"a document verified under no salt", func(c *consent.Client) error {
			_, err := c.VerifyDocument(ctx, "r-1", "", []byte("doc"))
			return err
		}},
		{"a delegate with a malformed MSP id", func(c *consent.Client) error {
			_, err := c.AddDelegate(ctx, "x", "Hospital/MSP")
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is an invalid argument and never reaches the gateway", func(t *testing.T) {
			r := &recorder{payload: []byte(`{}`)}
			err := tc.call(newClient(t, r, provider1))
			require.ErrorIs(t, err, sdk.ErrInvalidArgument)
			require.Equal(t, codes.InvalidArgument, sdk.CodeOf(err))
			require.Zero(t, r.count())
		})
	}
}

func TestChaincodeFailuresMatchTheirSentinels(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		code     codes.Code
		sentinel error
	}{
		{codes.Forbidden, sdk.ErrForbidden},
		{codes.NotFound, sdk.ErrNotFound},
		{codes.Duplicate, sdk.ErrDuplicate},
		{codes.Conflict, sdk.ErrConflict},
		{codes.PreconditionFailed, sdk.ErrPreconditionFailed},
	}
	for _, tc := range tests {
		t.Run(string(tc.code)+" matches its sentinel", func(t *testing.T) {
			r := &recorder{err: codes.New(tc.code, "consent c-1")}
			_, err := newClient(t, r, provider1).Grant(ctx, sampleConsent())
			require.ErrorIs(t, err, tc.sentinel)
			var ge *sdk.Error
			require.ErrorAs(t, err, &ge)
			require.Equal(t, "Grant", ge.Function)
		})
	}
}

func TestDecodeEvent(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		check   func(t *testing.T, v any)
	}{
		{consenttypes.EventConsentRevoked, `{"consentId":"c-1","patient":"p","grantee":"InsurerMSP","decision":"permit","status":"inactive","version":2,"by":"x","at":"2025-01-01T09:00:00Z"}`,
			func(t *testing.T, v any) {
				e, ok := v.(*consenttypes.ConsentEvent)
				require.True(t, ok, "%T", v)
				require.Equal(t, consenttypes.StatusInactive, e.Status)
			}},
		{consenttypes.EventAccessRecorded, `{"accessId":"r-1@tx","patient":"p","accessor":"a","dataClass":"Observation","purpose":"TREAT","recordId":"r-1","consentIds":["c-1"],"at":"2025-01-01T09:00:00Z"}`,
			func(t *testing.T, v any) {
				e, ok := v.(*consenttypes.AccessEvent)
				require.True(t, ok, "%T", v)
				require.Equal(t, "r-1@tx", e.AccessID)
			}},
		{consenttypes.EventRecordErased, `{"recordId":"r-1","patient":"p","dataClass":"Observation","collection":"c","by":"x","at":"2025-01-01T09:00:00Z"}`,
			func(t *testing.T, v any) {
				e, ok := v.(*consenttypes.RecordEvent)
				require.True(t, ok, "%T", v)
				require.Equal(t, "r-1", e.RecordID)
			}},
		{consenttypes.EventDelegateAdded, `{"patient":"p","mspId":"HospitalMSP","subject":"s","at":"2025-01-01T09:00:00Z"}`,
			func(t *testing.T, v any) {
				e, ok := v.(*consenttypes.DelegateEvent)
				require.True(t, ok, "%T", v)
				require.Equal(t, "s", e.Subject)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" decodes to its typed payload", func(t *testing.T) {
			v, err := consent.DecodeEvent(sdk.ChaincodeEvent{Chaincode: "consent", Name: tc.name, Payload: []byte(tc.payload)})
			require.NoError(t, err)
			tc.check(t, v)
		})
	}
	t.Run("an unknown event name is an error", func(t *testing.T) {
		_, err := consent.DecodeEvent(sdk.ChaincodeEvent{Name: "Surprise", Payload: []byte(`{}`)})
		require.Error(t, err)
		require.False(t, errors.Is(err, sdk.ErrInvalidArgument))
	})
}

func TestDigest(t *testing.T) {
	require.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", consent.Digest(nil))
}
