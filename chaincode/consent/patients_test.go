package consent_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

func keyHashOf(id *cctest.Identity) string {
	return consenttypes.KeyHash(id.Cert.RawSubjectPublicKeyInfo)
}

// rotationProof is what the holder of next's key signs to agree to become patient's key at epoch.
func rotationProof(t *testing.T, next *cctest.Identity, patient string, epoch int) (string, string) {
	t.Helper()
	digest := sha256.Sum256(consenttypes.RotationMessage(patient, epoch, keyHashOf(next)))
	sig, err := ecdsa.SignASN1(rand.Reader, next.Key, digest[:])
	require.NoError(t, err)
	return string(next.CertPEM), base64.StdEncoding.EncodeToString(sig)
}

func TestRegisterPatient(t *testing.T) {
	t.Run("binds the patient id to the MSP and the key of the signing certificate, in the access log", func(t *testing.T) {
		f := newUnregisteredFixture(t)
		res := f.invoke("patient1", "RegisterPatient")
		b := cctest.Decode[consenttypes.PatientBinding](t, res)
		require.Equal(t, pat1, b.Patient)
		require.Equal(t, hospital, b.MSPID)
		require.Equal(t, keyHashOf(f.who("patient1")), b.KeyHash)
		require.Equal(t, 0, b.Epoch)
		log := cctest.Decode[consenttypes.AccessLogPage](t, f.eval("patient1", "ListAccessLog", pat1, "0", ""))
		require.Len(t, log.Items, 1)
		require.Equal(t, consenttypes.ActionPatientRegistered, log.Items[0].Action)
		require.Equal(t, b.KeyHash, log.Items[0].Detail)
		require.Equal(t, res.TxID, log.Items[0].TxID)
	})
	t.Run("again with the same key is a duplicate and changes nothing", func(t *testing.T) {
		f := newFixture(t)
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("patient1", "RegisterPatient"), codes.Duplicate)
		f.l.RequireUnchanged(t, before)
	})
	t.Run("again with another key is forbidden and changes nothing", func(t *testing.T) {
		f := newFixture(t)
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("patient1b", "RegisterPatient"), codes.Forbidden)
		f.l.RequireUnchanged(t, before)
	})
	t.Run("needs a patient certificate", func(t *testing.T) {
		f := newUnregisteredFixture(t)
		for _, who := range []string{"provider1", "auditor1", "hospitalAdmin", "noattrs"} {
			before := f.l.Snapshot()
			cctest.RequireCode(t, f.invoke(who, "RegisterPatient"), codes.Forbidden)
			f.l.RequireUnchanged(t, before)
		}
	})
}

// TestAnUnregisteredPatientWritesNothing: before RegisterPatient, no write in the patient's name
// goes through, and the refusal tells the patient to register.
func TestAnUnregisteredPatientWritesNothing(t *testing.T) {
	f := newUnregisteredFixture(t)
	calls := []struct {
		fn   string
		args []string
	}{
		{"Grant", []string{asJSON(t, consentDoc("c-1", pat1, insurer))}},
		{"AddDelegate", []string{"guardian-1", hospital}},
		{"RemoveDelegate", []string{pat3, hospital}},
		{"RotatePatientKey", []string{rotateKeyPEM, rotateSig}},
	}
	for _, c := range calls {
		t.Run(c.fn, func(t *testing.T) {
			before := f.l.Snapshot()
			ce := cctest.RequireCode(t, f.invoke("patient1", c.fn, c.args...), codes.Forbidden)
			require.Contains(t, ce.Message, "RegisterPatient")
			f.l.RequireUnchanged(t, before)
		})
	}
	t.Run("reads too", func(t *testing.T) {
		ce := cctest.RequireCode(t, f.eval("patient1", "ListConsentsByPatient", pat1, "0", ""), codes.Forbidden)
		require.Contains(t, ce.Message, "RegisterPatient")
	})
	t.Run("after registering, the patient grants", func(t *testing.T) {
		cctest.RequireOK(t, f.invoke("patient1", "RegisterPatient"))
		f.grant("patient1", consentDoc("c-1", pat1, insurer))
	})
}

// TestAnotherKeyForTheSamePatientIsForbidden: a second certificate of the patient's own CA for the
// patient's id, with another key (what the CA's admin could mint), writes nothing in the patient's
// name, and each refusal is one log line of the chaincode server.
func TestAnotherKeyForTheSamePatientIsForbidden(t *testing.T) {
	var logged bytes.Buffer
	chaincode, err := consent.NewChaincodeLogging(&logged)
	require.NoError(t, err)
	f := newFixtureOf(t, chaincode, nil, true)
	f.grant("patient1", consentDoc("c-1", pat1, insurer))
	cctest.RequireOK(t, f.invoke("patient1", "AddDelegate", pat3, hospital))
	f.register("r-1", "document", "https://ehr.example/r/1")
	logged.Reset()
	calls := []struct {
		fn   string
		args []string
	}{
		{"Grant", []string{asJSON(t, consentDoc("c-2", pat1, insurer))}},
		{"Update", []string{asJSON(t, consentDoc("c-1", pat1, pharma))}},
		{"Revoke", []string{"c-1", ""}},
		{"AddDelegate", []string{"guardian-1", hospital}},
		{"RemoveDelegate", []string{pat3, hospital}},
		{"RequestErasure", []string{"r-1", ""}},
		{"EraseRecord", []string{"r-1", ""}},
		{"RotatePatientKey", []string{rotateKeyPEM, rotateSig}},
		{"RegisterPatient", nil},
	}
	for _, c := range calls {
		t.Run(c.fn+" is forbidden and changes nothing", func(t *testing.T) {
			before := f.l.Snapshot()
			res := f.invoke("patient1b", c.fn, c.args...)
			want := codes.Forbidden
			if c.fn == "Revoke" || c.fn == "RequestErasure" || c.fn == "EraseRecord" {
				want = codes.NotFound // an object the caller may not see: the answer of a missing one
			}
			cctest.RequireCode(t, res, want)
			f.l.RequireUnchanged(t, before)
			lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
			var last map[string]string
			require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &last))
			require.Equal(t, map[string]string{"event": "consent.patient-refused", "txId": res.TxID, "mspId": hospital, "patient": pat1,
				"function": c.fn, "reason": "key-mismatch"}, last)
		})
	}
	t.Run("reads of the patient's data are forbidden too", func(t *testing.T) {
		for _, fn := range []string{"ListConsentsByPatient", "ListAccessLog", "ListDelegates", "ListRecordsByPatient"} {
			cctest.RequireCode(t, f.eval("patient1b", fn, pat1, "0", ""), codes.Forbidden)
		}
		cctest.RequireCode(t, f.eval("patient1b", "CheckPatient", pat1), codes.Forbidden)
		cctest.RequireCode(t, f.eval("patient1b", "GetRecordDetails", "r-1"), codes.NotFound)
	})
	t.Run("the log line holds no PHI", func(t *testing.T) {
		require.NotContains(t, logged.String(), "ehr.example")
		require.NotContains(t, logged.String(), "patient1b") // the certificate's name
	})
}

func TestRotatePatientKey(t *testing.T) {
	f := newFixture(t)
	next := f.l.Identity(hospital, "patient1-next", cctest.RoleAttrs("patient", pat1))
	pemText, sig := rotationProof(t, next, pat1, 0)

	t.Run("a proof by another key than the one named is forbidden", func(t *testing.T) {
		_, wrongSig := rotationProof(t, f.who("patient2"), pat1, 0)
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("patient1", "RotatePatientKey", pemText, wrongSig), codes.Forbidden)
		f.l.RequireUnchanged(t, before)
	})
	t.Run("a proof for another epoch is forbidden", func(t *testing.T) {
		_, sig1 := rotationProof(t, next, pat1, 1)
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("patient1", "RotatePatientKey", pemText, sig1), codes.Forbidden)
		f.l.RequireUnchanged(t, before)
	})
	t.Run("signed by the new key instead of the current one is forbidden", func(t *testing.T) {
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke2(next, "RotatePatientKey", pemText, sig), codes.Forbidden)
		f.l.RequireUnchanged(t, before)
	})
	t.Run("a malformed key or signature is an invalid argument", func(t *testing.T) {
		for _, args := range [][]string{{"not pem", sig}, {pemText, "%%%"}} {
			before := f.l.Snapshot()
			cctest.RequireCode(t, f.invoke("patient1", "RotatePatientKey", args...), codes.InvalidArgument)
			f.l.RequireUnchanged(t, before)
		}
	})
	t.Run("signed by the current key with the new key's proof, it moves the binding", func(t *testing.T) {
		res := f.invoke("patient1", "RotatePatientKey", pemText, sig)
		b := cctest.Decode[consenttypes.PatientBinding](t, res)
		require.Equal(t, keyHashOf(next), b.KeyHash)
		require.Equal(t, 1, b.Epoch)
		log := cctest.Decode[consenttypes.AccessLogPage](t, f.l.Evaluate(cc, next, "ListAccessLog", []string{pat1, "0", ""}))
		require.Equal(t, consenttypes.ActionKeyRotated, log.Items[0].Action)
		require.Equal(t, res.TxID, log.Items[0].TxID)
	})
	t.Run("then the old key is forbidden and the new one writes", func(t *testing.T) {
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("patient1", "Grant", asJSON(t, consentDoc("c-old", pat1, insurer))), codes.Forbidden)
		f.l.RequireUnchanged(t, before)
		cctest.RequireOK(t, f.invoke2(next, "Grant", asJSON(t, consentDoc("c-new", pat1, insurer))))
	})
	t.Run("the same proof cannot be replayed", func(t *testing.T) {
		before := f.l.Snapshot()
		res := f.invoke2(next, "RotatePatientKey", pemText, sig)
		require.False(t, res.OK())
		f.l.RequireUnchanged(t, before)
	})
}

func TestRecovery(t *testing.T) {
	f := newFixture(t)
	f.grant("patient1", consentDoc("c-1", pat1, insurer))
	lost := f.who("patient1")
	next := f.l.Identity(hospital, "patient1-recovered", cctest.RoleAttrs("patient", pat1))
	k := keyHashOf(next)

	t.Run("approval needs an organisation admin", func(t *testing.T) {
		for _, who := range []string{"provider1", "auditor1", "patient1", "patient1b"} {
			before := f.l.Snapshot()
			cctest.RequireCode(t, f.invoke(who, "ApproveRecovery", pat1, k), codes.Forbidden)
			f.l.RequireUnchanged(t, before)
		}
	})
	t.Run("with one organisation's approval the new key is forbidden", func(t *testing.T) {
		cctest.RequireOK(t, f.invoke("hospitalAdmin", "ApproveRecovery", pat1, k))
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("hospitalAdmin", "ApproveRecovery", pat1, k), codes.Duplicate)
		ce := cctest.RequireCode(t, f.invoke2(next, "CompleteRecovery"), codes.Forbidden)
		require.Contains(t, ce.Message, "approved by 1 organisation")
		cctest.RequireCode(t, f.invoke2(next, "Grant", asJSON(t, consentDoc("c-2", pat1, insurer))), codes.Forbidden)
		f.l.RequireUnchanged(t, before)
	})
	t.Run("another organisation's approval of another key does not count", func(t *testing.T) {
		cctest.RequireOK(t, f.invoke("insurerAdmin", "ApproveRecovery", pat1, keyHashOf(f.who("patient1b"))))
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke2(next, "CompleteRecovery"), codes.Forbidden)
		f.l.RequireUnchanged(t, before)
	})
	t.Run("with two organisations' approvals the patient completes it with the new key", func(t *testing.T) {
		cctest.RequireOK(t, f.invoke("insurerAdmin", "ApproveRecovery", pat1, k))
		res := f.invoke2(next, "CompleteRecovery")
		b := cctest.Decode[consenttypes.PatientBinding](t, res)
		require.Equal(t, k, b.KeyHash)
		require.Equal(t, 1, b.Epoch)
	})
	t.Run("the lost key is forbidden, the new key writes", func(t *testing.T) {
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.l.Invoke(cc, lost, "Revoke", []string{"c-1", ""}), codes.NotFound)
		f.l.RequireUnchanged(t, before)
		cctest.RequireOK(t, f.invoke2(next, "Revoke", "c-1", ""))
	})
	t.Run("every step is in the access log", func(t *testing.T) {
		log := cctest.Decode[consenttypes.AccessLogPage](t, f.l.Evaluate(cc, next, "ListAccessLog", []string{pat1, "0", ""}))
		var steps []consenttypes.Action
		for _, e := range log.Items {
			steps = append(steps, e.Action)
		}
		require.Equal(t, []consenttypes.Action{consenttypes.ActionRecoveryCompleted, consenttypes.ActionRecoveryApproved,
			consenttypes.ActionRecoveryApproved, consenttypes.ActionRecoveryApproved, consenttypes.ActionPatientRegistered}, steps)
		require.Equal(t, "HospitalMSP/admin", log.Items[3].Accessor)
	})
	t.Run("the stale approval of patient1b's key no longer counts after the epoch moved", func(t *testing.T) {
		cctest.RequireOK(t, f.invoke("hospitalAdmin", "ApproveRecovery", pat1, keyHashOf(f.who("patient1b"))))
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("patient1b", "CompleteRecovery"), codes.Forbidden)
		f.l.RequireUnchanged(t, before)
	})
}
