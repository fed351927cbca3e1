//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"
)

// freshClient registers and enrolls a new client identity of org at its CA, as the org's registrar,
// and puts it into the network's wallet. Fresh, so that revoking it disturbs no other test.
func freshClient(t *testing.T, org, prefix string) string {
	t.Helper()
	prof, err := env.net.Profile(org)
	require.NoError(t, err)
	require.NotNil(t, prof.CA, "the %s profile names no CA", org)
	ca, err := prof.CAClient()
	require.NoError(t, err)
	w, err := sdk.OpenWallet(env.net.WalletDir())
	require.NoError(t, err)
	registrar, err := w.Get(prof.CA.Registrar)
	require.NoError(t, err)
	name := unique(prefix)
	secret, err := ca.Register(ctx(t), registrar, sdk.RegisterRequest{Name: name, Type: "client"})
	require.NoError(t, err)
	creds, err := ca.Enroll(ctx(t), sdk.EnrollRequest{Name: name, Secret: secret})
	require.NoError(t, err)
	creds.Info.MSPID, creds.Info.Org = prof.MSPID, prof.Name
	require.NoError(t, w.Put(creds))
	return name
}

// gatewayClient connects identity name through the gateway peer of org (any org), with no retry: a
// refusal shows at once.
func gatewayClient(t *testing.T, name, org string) *sdk.Client {
	t.Helper()
	path, err := env.net.ProfilePath(org)
	require.NoError(t, err)
	c, err := sdk.Connect(ctx(t), path, sdk.WithIdentity(name), sdk.WithWallet(env.net.WalletDir()),
		sdk.WithNetwork(env.net), sdk.WithoutRetry())
	require.NoError(t, err, "connecting %s through the gateway of %s", name, org)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// evaluateAndSubmit reads and writes one key of the baseline chaincode (no role needed).
func evaluateAndSubmit(ctx context.Context, c *sdk.Client, key string) (error, error) {
	_, evalErr := c.Contract("baseline").Evaluate(ctx, "Read", []string{key})
	if evalErr != nil && strings.Contains(evalErr.Error(), "NOT_FOUND") {
		evalErr = nil // the key is not written yet: the call itself was served
	}
	_, submitErr := c.Contract("baseline").Submit(ctx, "Add", []string{key, "1"})
	return evalErr, submitErr
}

// TestRevokedCertificateIsRefusedByEveryPeer: network.sh revoke revokes a fresh client's certificate
// at its org's CA and puts the CA's CRL into the org's MSP definition on the channel. From the moment
// the command returns (every org's peer has the config block), each org's gateway refuses the
// client's evaluate and submit (sdk.ErrForbidden), while another client of the same org and a demo
// user of it go on working. Bad input changes nothing.
func TestRevokedCertificateIsRefusedByEveryPeer(t *testing.T) {
	dir := []string{"HL_NETWORK_DIR=" + stateDir(t)}
	org := env.net.Orgs()[0].Name
	victim := freshClient(t, org, "revokee")
	bystander := freshClient(t, org, "bystander")
	key := unique("revocation")

	for _, o := range env.net.Orgs() {
		evalErr, submitErr := evaluateAndSubmit(ctx(t), gatewayClient(t, victim, o.Name), key)
		require.NoError(t, evalErr, "before the revocation: an evaluate through %s", o.Name)
		require.NoError(t, submitErr, "before the revocation: a submit through %s", o.Name)
	}
	syncPeers(t, orgClients(t))
	heightBefore, err := provHeight(ctx(t), connect(t, identityOfOrg(t, org).Name))
	require.NoError(t, err)

	// Bad input: a clear error, and no config block.
	out, err := env.networkOutputEnv(dir, "revoke", victim, "--reason", "stolen")
	require.Error(t, err, out)
	require.Contains(t, out, "unknown reason 'stolen'")
	out, err = env.networkOutputEnv(dir, "revoke", "nobody-"+key, "--reason", "keycompromise")
	require.Error(t, err, out)
	require.Contains(t, out, "unknown identity 'nobody-"+key+"'")
	out, err = env.networkOutputEnv(dir, "revoke", victim)
	require.Error(t, err, out)
	require.Contains(t, out, "--reason is required")
	h, err := provHeight(ctx(t), connect(t, identityOfOrg(t, org).Name))
	require.NoError(t, err)
	require.Equal(t, heightBefore, h, "a refused revoke wrote a block")

	start := time.Now()
	out, err = env.networkOutputEnv(dir, "revoke", victim, "--reason", "keycompromise")
	require.NoError(t, err, out)
	committed := time.Now()
	require.Contains(t, out, "revoked "+victim)
	t.Logf("network.sh revoke took %.1f s (CA revoke, CRL, config update signed by %s's admin, every peer committed)\n%s",
		committed.Sub(start).Seconds(), org, out)

	for _, o := range env.net.Orgs() {
		c := gatewayClient(t, victim, o.Name)
		evalErr, submitErr := evaluateAndSubmit(ctx(t), c, key)
		require.ErrorIs(t, evalErr, sdk.ErrForbidden, "after the revocation: an evaluate through %s", o.Name)
		require.ErrorIs(t, submitErr, sdk.ErrForbidden, "after the revocation: a submit through %s", o.Name)
		t.Logf("through %s's gateway, %.1f s after every peer had the config block: evaluate: %v; submit: %v",
			o.Name, time.Since(committed).Seconds(), evalErr, submitErr)
	}
	// Still refused a while later: the refusal holds.
	time.Sleep(3 * time.Second)
	for _, o := range env.net.Orgs() {
		evalErr, submitErr := evaluateAndSubmit(ctx(t), gatewayClient(t, victim, o.Name), key)
		require.ErrorIs(t, evalErr, sdk.ErrForbidden, "%s, %.0f s later", o.Name, time.Since(committed).Seconds())
		require.ErrorIs(t, submitErr, sdk.ErrForbidden, "%s, %.0f s later", o.Name, time.Since(committed).Seconds())
	}
	t.Logf("still refused by every org's gateway %.1f s after the config block", time.Since(committed).Seconds())

	// The org's other identities keep working: the other fresh client and a demo user.
	for _, name := range []string{bystander, identityOfOrg(t, org).Name} {
		evalErr, submitErr := evaluateAndSubmit(ctx(t), gatewayClient(t, name, org), key)
		require.NoError(t, evalErr, "%s's evaluate after %s was revoked", name, victim)
		require.NoError(t, submitErr, "%s's submit after %s was revoked", name, victim)
	}

	// Revoking again is refused and changes nothing.
	syncPeers(t, orgClients(t))
	heightBefore, err = provHeight(ctx(t), connect(t, identityOfOrg(t, org).Name))
	require.NoError(t, err)
	out, err = env.networkOutputEnv(dir, "revoke", victim, "--reason", "keycompromise")
	require.Error(t, err, out)
	require.Contains(t, out, "already revoked")
	h, err = provHeight(ctx(t), connect(t, identityOfOrg(t, org).Name))
	require.NoError(t, err)
	require.Equal(t, heightBefore, h, "a second revoke wrote a block")
}

// refusedByTheMSP: a raw gateway error whose text or per-peer details carry the peers' refusal of
// the creator certificate (not a chaincode's answer).
func refusedByTheMSP(err error) bool {
	if err == nil {
		return false
	}
	const denied = "access denied: channel ["
	if strings.Contains(err.Error(), denied) {
		return true
	}
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if ed, ok := d.(interface{ GetMessage() string }); ok && strings.Contains(ed.GetMessage(), denied) {
				return true
			}
		}
	}
	return false
}

// TestRevokeThenRecoverAPatientsLostKey: the sequence of docs/security.md, "Revocation and
// patient-key pinning together". A patient's certificate is revoked (network.sh revoke): from then on
// no peer accepts it, for the consent chaincode or any other, while the binding still pins its key.
// A new certificate for the same patient id is recovered by admins of two orgs (ApproveRecovery) and
// the patient (CompleteRecovery), and then grants consents; the revoked one stays refused.
func TestRevokeThenRecoverAPatientsLostKey(t *testing.T) {
	dir := []string{"HL_NETWORK_DIR=" + stateDir(t)}
	home := identity(t, "patient", 0)
	other := consentOtherOrg(t, home.Org)
	grantee := consentOtherMSP(t, home.MSPID)
	subject := unique("pat-revoked")
	lostCreds := trustEnroll(t, home.Org, "patient", subject)
	w, err := sdk.OpenWallet(env.net.WalletDir())
	require.NoError(t, err)
	require.NoError(t, w.Put(lostCreds))
	lost := consentRawOf(t, home.Org, lostCreds)
	lost.register(t)
	_, err = lost.submit(t, "Grant", consentRawDoc(t, unique("revrec-before"), subject, grantee))
	require.NoError(t, err, "the patient's grant before the revocation")

	out, err := env.networkOutputEnv(dir, "revoke", lostCreds.Info.Name, "--reason", "keycompromise")
	require.NoError(t, err, out)

	_, err = lost.submit(t, "Grant", consentRawDoc(t, unique("revrec-lost"), subject, grantee))
	require.True(t, refusedByTheMSP(err), "the revoked patient's grant: want the peers' refusal of the certificate, got %v", err)
	_, err = lost.evaluate(t, "CheckPatient", subject)
	require.True(t, refusedByTheMSP(err), "the revoked patient's CheckPatient: %v", err)
	_, err = gatewayClient(t, lostCreds.Info.Name, other).Contract("baseline").Evaluate(ctx(t), "Read", []string{"k"})
	require.ErrorIs(t, err, sdk.ErrForbidden, "the revoked certificate on another chaincode, through another org")

	next := consentRawOf(t, home.Org, trustEnroll(t, home.Org, "patient", subject))
	k := next.keyHash(t)
	_, err = next.submit(t, "Grant", consentRawDoc(t, unique("revrec-early"), subject, grantee))
	requireTrustCode(t, err, codes.Forbidden) // a channel member, but not the pinned key yet
	_, err = consentRawAdmin(t, home.Org).submit(t, "ApproveRecovery", subject, k)
	require.NoError(t, err)
	_, err = consentRawAdmin(t, other).submit(t, "ApproveRecovery", subject, k)
	require.NoError(t, err)
	raw, err := next.submit(t, "CompleteRecovery")
	require.NoError(t, err)
	var b consenttypes.PatientBinding
	require.NoError(t, json.Unmarshal(raw, &b))
	require.Equal(t, k, b.KeyHash)

	_, err = next.submit(t, "Grant", consentRawDoc(t, unique("revrec-new"), subject, grantee))
	require.NoError(t, err, "the recovered patient's grant")
	_, err = lost.submit(t, "Grant", consentRawDoc(t, unique("revrec-lost2"), subject, grantee))
	require.True(t, refusedByTheMSP(err), "the revoked certificate after the recovery: %v", err)
	var binding []consenttypes.Action // the binding's history in the access log, newest first
	for _, a := range consentLogActions(t, next, subject) {
		switch a {
		case consenttypes.ActionPatientRegistered, consenttypes.ActionKeyRotated, consenttypes.ActionRecoveryApproved, consenttypes.ActionRecoveryCompleted:
			binding = append(binding, a)
		}
	}
	require.Equal(t, []consenttypes.Action{consenttypes.ActionRecoveryCompleted, consenttypes.ActionRecoveryApproved,
		consenttypes.ActionRecoveryApproved, consenttypes.ActionPatientRegistered}, binding)
}
