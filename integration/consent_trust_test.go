//go:build integration

package integration

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

// The consent trust tests play an organisation that tries to forge a patient's consent: its CA mints
// certificates for patient ids, its peer endorses alone. Every call goes through a raw fabric-gateway
// client (github.com/hyperledger/fabric-gateway/pkg/client) with the identity's certificate and key,
// never through the project's SDK. They dial with trustDial and mint with trustEnroll
// (provenance_trust_test.go).

// consentRaw is one identity's raw connection to the consent chaincode.
type consentRaw struct {
	name  string
	mspID string
	creds *sdk.Credentials
	k     *client.Contract
	peers []*sdk.Client // one client per org, connected on the first submit, for syncPeers
}

func consentRawOf(t *testing.T, org string, creds *sdk.Credentials) *consentRaw {
	t.Helper()
	g := trustDial(t, org, creds)
	prof, err := env.net.Profile(org)
	require.NoError(t, err)
	return &consentRaw{name: creds.Info.Name, mspID: prof.MSPID, creds: creds, k: g.gw.GetNetwork(env.net.Channel()).GetContract("consent")}
}

// consentRawWallet connects the wallet identity name.
func consentRawWallet(t *testing.T, name string) *consentRaw {
	t.Helper()
	info, err := env.net.Identity(name)
	require.NoError(t, err)
	w, err := sdk.OpenWallet(env.net.WalletDir())
	require.NoError(t, err)
	creds, err := w.Get(name)
	require.NoError(t, err)
	creds.Info = info
	return consentRawOf(t, info.Org, creds)
}

// consentRawAdmin connects org's admin (the MSP folder of its profile: a NodeOU admin certificate).
func consentRawAdmin(t *testing.T, org string) *consentRaw {
	t.Helper()
	prof, err := env.net.Profile(org)
	require.NoError(t, err)
	if prof.AdminMSP == "" {
		t.Skipf("the %s profile names no admin MSP", org)
	}
	read := func(dir string) []byte {
		entries, err := os.ReadDir(filepath.Join(prof.AdminMSP, dir))
		require.NoError(t, err)
		require.NotEmpty(t, entries, "%s/%s is empty", prof.AdminMSP, dir)
		raw, err := os.ReadFile(filepath.Join(prof.AdminMSP, dir, entries[0].Name()))
		require.NoError(t, err)
		return raw
	}
	creds := &sdk.Credentials{Info: sdk.IdentityInfo{Name: "admin." + org, Org: org, MSPID: prof.MSPID},
		Certificate: read("signcerts"), PrivateKey: read("keystore")}
	return consentRawOf(t, org, creds)
}

// submit submits fn and, once it committed, waits until every org's peer has its block: the tests
// go on with identities of other orgs, whose peers must see it.
func (c *consentRaw) submit(t *testing.T, fn string, args ...string) ([]byte, error) {
	t.Helper()
	out, err := c.k.SubmitWithContext(ctx(t), fn, client.WithArguments(args...))
	if err == nil {
		if c.peers == nil {
			c.peers = orgClients(t)
		}
		syncPeers(t, c.peers)
	}
	return out, err
}

func (c *consentRaw) evaluate(t *testing.T, fn string, args ...string) ([]byte, error) {
	t.Helper()
	return c.k.EvaluateWithContext(ctx(t), fn, client.WithArguments(args...))
}

// register registers c's patient; already registered with this key is fine.
func (c *consentRaw) register(t *testing.T) {
	t.Helper()
	_, err := c.submit(t, "RegisterPatient")
	if err != nil {
		require.Equal(t, codes.Duplicate, trustCode(err), "registering %s: %v", c.name, err)
	}
}

// keyHash names c's public key as the ledger does.
func (c *consentRaw) keyHash(t *testing.T) string {
	t.Helper()
	block, _ := pem.Decode(c.creds.Certificate)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return consenttypes.KeyHash(cert.RawSubjectPublicKeyInfo)
}

// consentRawDoc is a permit of patient for grantee MSP to access Observations for treatment.
func consentRawDoc(t *testing.T, id, patient, grantee string) string {
	t.Helper()
	raw, err := json.Marshal(consenttypes.Consent{ID: id, Patient: patient, Grantee: grantee, Decision: consenttypes.Permit,
		Actions: []consenttypes.Action{consenttypes.ActionAccess}, Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment},
		Classes: []consenttypes.DataClass{consenttypes.ClassObservation}})
	require.NoError(t, err)
	return string(raw)
}

// consentAbsent requires that consent id is not on the ledger, as reader sees it (an auditor).
func consentAbsent(t *testing.T, reader *consentRaw, id string) {
	t.Helper()
	_, err := reader.evaluate(t, "GetConsent", id)
	require.Equal(t, codes.NotFound, trustCode(err), "consent %s: %v", id, err)
}

// consentOtherOrg returns an org other than org, or skips.
func consentOtherOrg(t *testing.T, org string) string {
	t.Helper()
	for _, o := range env.net.Orgs() {
		if o.Name != org {
			return o.Name
		}
	}
	t.Skip("a single org: no other org to play")
	return ""
}

// TestConsentTrustASecondCertificateOfThePatientsCAIsForbidden: the Hospital's CA enrols a second
// certificate for patient1's id with a new key; a grant made with it is FORBIDDEN and stores nothing.
func TestConsentTrustASecondCertificateOfThePatientsCAIsForbidden(t *testing.T) {
	pat := identity(t, "patient", 0)
	real := consentRawWallet(t, pat.Name)
	real.register(t)
	forged := consentRawOf(t, pat.Org, trustEnroll(t, pat.Org, "patient", pat.Subject))
	require.NotEqual(t, real.keyHash(t), forged.keyHash(t))
	auditor := consentRawWallet(t, identity(t, "auditor", 0).Name)

	id := unique("trust-forged")
	_, err := forged.submit(t, "Grant", consentRawDoc(t, id, pat.Subject, consentOtherMSP(t, pat.MSPID)))
	requireTrustCode(t, err, codes.Forbidden)
	consentAbsent(t, auditor, id)
	for _, call := range [][]string{{"AddDelegate", "guardian-x", pat.MSPID}, {"RegisterPatient"}} {
		_, err := forged.submit(t, call[0], call[1:]...)
		requireTrustCode(t, err, codes.Forbidden)
	}
	_, err = forged.evaluate(t, "ListConsentsByPatient", pat.Subject, "0", "")
	requireTrustCode(t, err, codes.Forbidden)
	_, err = forged.evaluate(t, "ListAccessLog", pat.Subject, "0", "")
	requireTrustCode(t, err, codes.Forbidden)
}

// consentOtherMSP is an MSP id of the layout other than msp (msp itself in a one-org layout).
func consentOtherMSP(t *testing.T, msp string) string {
	t.Helper()
	for _, o := range env.net.Orgs() {
		if o.MSPID != msp {
			return o.MSPID
		}
	}
	return msp
}

// TestConsentTrustAnotherOrgsCACannotTakeOverAnUnregisteredPatient: another org's CA mints a patient
// certificate for a patient who has not registered; Grant, AddDelegate and reads are FORBIDDEN, and the
// real patient (a certificate of the patient's org) can still register and grant.
func TestConsentTrustAnotherOrgsCACannotTakeOverAnUnregisteredPatient(t *testing.T) {
	home := identity(t, "patient", 0)
	rogueOrg := consentOtherOrg(t, home.Org)
	subject := unique("pat-it")
	rogue := consentRawOf(t, rogueOrg, trustEnroll(t, rogueOrg, "patient", subject))
	auditor := consentRawWallet(t, identity(t, "auditor", 0).Name)

	id := unique("trust-takeover")
	doc := consentRawDoc(t, id, subject, rogue.mspID)
	_, err := rogue.submit(t, "Grant", doc)
	requireTrustCode(t, err, codes.Forbidden)
	_, err = rogue.submit(t, "AddDelegate", "guardian-x", rogue.mspID)
	requireTrustCode(t, err, codes.Forbidden)
	_, err = rogue.submit(t, "RegisterPatient")
	requireTrustCode(t, err, codes.Forbidden)
	for _, fn := range []string{"ListConsentsByPatient", "ListAccessLog", "ListDelegates"} {
		_, err = rogue.evaluate(t, fn, subject, "0", "")
		requireTrustCode(t, err, codes.Forbidden)
	}
	consentAbsent(t, auditor, id)

	realPat := consentRawOf(t, home.Org, trustEnroll(t, home.Org, "patient", subject))
	realPat.register(t)
	_, err = realPat.submit(t, "Grant", consentRawDoc(t, id, subject, rogue.mspID))
	require.NoError(t, err, "the real patient registers and grants")
	_, err = rogue.submit(t, "Revoke", id, "")
	requireTrustCode(t, err, codes.Forbidden)
}

// TestConsentTrustAGrantEndorsedByOneOrgIsInvalid: a grant endorsed by the patient's org alone is
// invalid at commit (ENDORSEMENT_POLICY_FAILURE) and the ledger is unchanged.
func TestConsentTrustAGrantEndorsedByOneOrgIsInvalid(t *testing.T) {
	if len(env.net.Orgs()) < 2 {
		t.Skip("one org: its peer is the majority")
	}
	pat := identity(t, "patient", 0)
	p := consentRawWallet(t, pat.Name)
	p.register(t)
	auditor := consentRawWallet(t, identity(t, "auditor", 0).Name)
	id := unique("trust-oneorg")
	proposal, err := p.k.NewProposal("Grant", client.WithArguments(consentRawDoc(t, id, pat.Subject, consentOtherMSP(t, pat.MSPID))),
		client.WithEndorsingOrganizations(pat.MSPID))
	require.NoError(t, err)
	tx, err := proposal.EndorseWithContext(ctx(t))
	require.NoError(t, err, "the patient's own org's peer endorses the grant")
	commit, err := tx.SubmitWithContext(ctx(t))
	require.NoError(t, err)
	st, err := commit.StatusWithContext(ctx(t))
	require.NoError(t, err)
	require.False(t, st.Successful)
	require.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, st.Code)
	consentAbsent(t, auditor, id)
}

// consentRotationSig is next's signature over the rotation message of patient at epoch.
func consentRotationSig(t *testing.T, next *consentRaw, patient string, epoch int) string {
	t.Helper()
	block, _ := pem.Decode(next.creds.PrivateKey)
	require.NotNil(t, block)
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	require.NoError(t, err)
	ec, ok := key.(*ecdsa.PrivateKey)
	require.True(t, ok, "the new key is ECDSA")
	digest := sha256.Sum256(consenttypes.RotationMessage(patient, epoch, next.keyHash(t)))
	sig, err := ecdsa.SignASN1(rand.Reader, ec, digest[:])
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(sig)
}

// consentLogActions lists the identity actions of a patient's access log, newest first.
func consentLogActions(t *testing.T, reader *consentRaw, patient string) []consenttypes.Action {
	t.Helper()
	out, err := reader.evaluate(t, "ListAccessLog", patient, "0", "")
	require.NoError(t, err)
	var page consenttypes.AccessLogPage
	require.NoError(t, json.Unmarshal(out, &page))
	var actions []consenttypes.Action
	for _, e := range page.Items {
		actions = append(actions, e.Action)
	}
	return actions
}

// TestConsentTrustKeyRotation: a patient rotates to a new key (signed by the current key, with the
// new key's proof); the old key is then FORBIDDEN, the new one grants, and the access log shows it.
func TestConsentTrustKeyRotation(t *testing.T) {
	home := identity(t, "patient", 0)
	subject := unique("pat-rot")
	oldKey := consentRawOf(t, home.Org, trustEnroll(t, home.Org, "patient", subject))
	newKey := consentRawOf(t, home.Org, trustEnroll(t, home.Org, "patient", subject))
	oldKey.register(t)
	grantee := consentOtherMSP(t, home.MSPID)

	_, err := oldKey.submit(t, "RotatePatientKey", string(newKey.creds.Certificate), consentRotationSig(t, newKey, subject, 1))
	requireTrustCode(t, err, codes.Forbidden) // a proof for another epoch
	_, err = newKey.submit(t, "RotatePatientKey", string(newKey.creds.Certificate), consentRotationSig(t, newKey, subject, 0))
	requireTrustCode(t, err, codes.Forbidden) // not signed by the current key

	out, err := oldKey.submit(t, "RotatePatientKey", string(newKey.creds.Certificate), consentRotationSig(t, newKey, subject, 0))
	require.NoError(t, err)
	var b consenttypes.PatientBinding
	require.NoError(t, json.Unmarshal(out, &b))
	require.Equal(t, newKey.keyHash(t), b.KeyHash)
	require.Equal(t, 1, b.Epoch)

	_, err = oldKey.submit(t, "Grant", consentRawDoc(t, unique("trust-rot-old"), subject, grantee))
	requireTrustCode(t, err, codes.Forbidden)
	_, err = newKey.submit(t, "Grant", consentRawDoc(t, unique("trust-rot-new"), subject, grantee))
	require.NoError(t, err)
	require.Equal(t, []consenttypes.Action{consenttypes.ActionKeyRotated, consenttypes.ActionPatientRegistered}, consentLogActions(t, newKey, subject))
}

// TestConsentTrustRecovery: after a lost key, one org's admin approval is not enough; with admins of
// two orgs approving the new key, the patient completes the recovery with it; the lost key is then
// FORBIDDEN, and every step is in the access log.
func TestConsentTrustRecovery(t *testing.T) {
	home := identity(t, "patient", 0)
	other := consentOtherOrg(t, home.Org)
	subject := unique("pat-rec")
	lost := consentRawOf(t, home.Org, trustEnroll(t, home.Org, "patient", subject))
	lost.register(t)
	next := consentRawOf(t, home.Org, trustEnroll(t, home.Org, "patient", subject))
	k := next.keyHash(t)
	grantee := consentOtherMSP(t, home.MSPID)

	_, err := consentRawAdmin(t, home.Org).submit(t, "ApproveRecovery", subject, k)
	require.NoError(t, err)
	_, err = next.submit(t, "CompleteRecovery")
	requireTrustCode(t, err, codes.Forbidden)
	_, err = next.submit(t, "Grant", consentRawDoc(t, unique("trust-rec-early"), subject, grantee))
	requireTrustCode(t, err, codes.Forbidden)

	_, err = consentRawAdmin(t, other).submit(t, "ApproveRecovery", subject, k)
	require.NoError(t, err)
	out, err := next.submit(t, "CompleteRecovery")
	require.NoError(t, err)
	var b consenttypes.PatientBinding
	require.NoError(t, json.Unmarshal(out, &b))
	require.Equal(t, k, b.KeyHash)

	_, err = lost.submit(t, "Grant", consentRawDoc(t, unique("trust-rec-lost"), subject, grantee))
	requireTrustCode(t, err, codes.Forbidden)
	_, err = next.submit(t, "Grant", consentRawDoc(t, unique("trust-rec-new"), subject, grantee))
	require.NoError(t, err)
	require.Equal(t, []consenttypes.Action{consenttypes.ActionRecoveryCompleted, consenttypes.ActionRecoveryApproved,
		consenttypes.ActionRecoveryApproved, consenttypes.ActionPatientRegistered}, consentLogActions(t, next, subject))
}
