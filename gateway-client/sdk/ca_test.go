package sdk

import (
	"bytes"
	"context"
	"testing"

	"github.com/healthledger/healthledger/internal/testpki"
	"github.com/stretchr/testify/require"
)

func newFakeCA(t *testing.T) *testpki.FakeCA {
	t.Helper()
	f, err := testpki.NewFakeCA("ca-hospital")
	require.NoError(t, err)
	t.Cleanup(f.Close)
	return f
}

func fakeCAClient(t *testing.T, f *testpki.FakeCA) *CAClient {
	t.Helper()
	c, err := NewCAClientPEM(f.URL(), "ca-hospital", f.CA.CertPEM)
	require.NoError(t, err)
	return c
}

func TestRegisterThenEnrollPutsTheECertAttributesInTheCertificate(t *testing.T) {
	f := newFakeCA(t)
	ca := fakeCAClient(t, f)
	ctx := context.Background()

	admin, err := ca.Enroll(ctx, EnrollRequest{Name: "admin", Secret: "adminpw"})
	require.NoError(t, err)
	require.Equal(t, "admin", admin.Info.Name)
	require.NoError(t, admin.Check())
	require.Equal(t, f.CA.CertPEM, admin.CACerts)

	secret, err := ca.Register(ctx, admin, RegisterRequest{Name: "patient9", Attributes: []Attribute{
		{Name: "role", Value: "patient", ECert: true},
		{Name: "subject", Value: "pat-0000beef", ECert: true},
		{Name: "note", Value: "kept out"},
	}})
	require.NoError(t, err)
	require.Regexp(t, `^[0-9a-f]{32}$`, secret, "a secret the SDK chooses is 128 random bits")

	creds, err := ca.Enroll(ctx, EnrollRequest{Name: "patient9", Secret: secret})
	require.NoError(t, err)
	require.Equal(t, "patient", creds.Info.Role)
	require.Equal(t, "pat-0000beef", creds.Info.Subject)
	attrs, err := creds.Attributes()
	require.NoError(t, err)
	require.NotContains(t, attrs, "note")

	t.Run("attribute requests choose the attributes", func(t *testing.T) {
		creds, err := ca.Enroll(ctx, EnrollRequest{Name: "patient9", Secret: secret, AttrReqs: []AttributeRequest{{Name: "note"}, {Name: "missing", Optional: true}}})
		require.NoError(t, err)
		attrs, err := creds.Attributes()
		require.NoError(t, err)
		require.Equal(t, map[string]string{"note": "kept out"}, attrs)
	})
	t.Run("a required attribute the identity lacks fails enrollment", func(t *testing.T) {
		_, err := ca.Enroll(ctx, EnrollRequest{Name: "patient9", Secret: secret, AttrReqs: []AttributeRequest{{Name: "missing"}}})
		var caErr *CAError
		require.ErrorAs(t, err, &caErr)
		require.Equal(t, 43, caErr.Code)
		require.ErrorIs(t, err, ErrInvalidArgument)
	})
	t.Run("registering the same name twice is ErrDuplicate", func(t *testing.T) {
		_, err := ca.Register(ctx, admin, RegisterRequest{Name: "patient9"})
		require.ErrorIs(t, err, ErrDuplicate)
	})
	t.Run("a wrong secret is ErrForbidden", func(t *testing.T) {
		_, err := ca.Enroll(ctx, EnrollRequest{Name: "patient9", Secret: "wrong"})
		require.ErrorIs(t, err, ErrForbidden)
	})
	t.Run("a registrar the CA does not know is refused", func(t *testing.T) {
		other, err := testpki.NewCA("other")
		require.NoError(t, err)
		u, err := other.IssueUser("admin", nil)
		require.NoError(t, err)
		_, err = ca.Register(ctx, &Credentials{Certificate: u.CertPEM, PrivateKey: u.KeyPEM}, RegisterRequest{Name: "x"})
		require.ErrorIs(t, err, ErrForbidden)
	})
	t.Run("the enrolled identity goes into a wallet with its key at 0600", func(t *testing.T) {
		w, err := OpenWallet(t.TempDir())
		require.NoError(t, err)
		creds.Info.MSPID = "HospitalMSP"
		require.NoError(t, w.Put(creds))
		got, err := w.Get("patient9")
		require.NoError(t, err)
		require.Equal(t, "pat-0000beef", got.Info.Subject)
	})
}

func TestATokenCoversTheBodyAndTheURI(t *testing.T) {
	ca, err := testpki.NewCA("ca")
	require.NoError(t, err)
	u, err := ca.IssueUser("admin", nil)
	require.NoError(t, err)
	creds := &Credentials{Certificate: u.CertPEM, PrivateKey: u.KeyPEM}
	body := []byte(`{"id":"x"}`)
	for range 20 { // several signatures, so a high S would show up
		token, err := caToken(creds, "POST", "/api/v1/register", body)
		require.NoError(t, err)
		_, err = testpki.VerifyToken(ca, token, "POST", "/api/v1/register", body)
		require.NoError(t, err)
		_, err = testpki.VerifyToken(ca, token, "POST", "/api/v1/register", bytes.ReplaceAll(body, []byte("x"), []byte("y")))
		require.Error(t, err)
		_, err = testpki.VerifyToken(ca, token, "POST", "/api/v1/revoke", body)
		require.Error(t, err)
	}
}

func TestEnrollRefusesBadInputBeforeAnyRequest(t *testing.T) {
	ca, err := NewCAClientPEM("https://127.0.0.1:1", "", mustCAPEM(t))
	require.NoError(t, err)
	_, err = ca.Enroll(context.Background(), EnrollRequest{Name: "", Secret: "s"})
	require.ErrorContains(t, err, "empty name")
	_, err = ca.Enroll(context.Background(), EnrollRequest{Name: "a", Secret: ""})
	require.ErrorContains(t, err, "empty secret")
	_, err = NewCAClientPEM("http://127.0.0.1:1", "", mustCAPEM(t))
	require.ErrorContains(t, err, "https")
}

func mustCAPEM(t *testing.T) []byte {
	t.Helper()
	ca, err := testpki.NewCA("x")
	require.NoError(t, err)
	return ca.CertPEM
}

func TestACAThatCannotBeReachedIsUnavailable(t *testing.T) {
	f := newFakeCA(t)
	url, pem := f.URL(), f.CA.CertPEM
	f.Close() // the port now refuses connections
	ca, err := NewCAClientPEM(url, "ca-hospital", pem)
	require.NoError(t, err)

	_, err = ca.Enroll(context.Background(), EnrollRequest{Name: "patient9", Secret: "s"})
	require.ErrorIs(t, err, ErrUnavailable, "a refused connection is worth retrying")
	require.Contains(t, err.Error(), "ca enroll")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = ca.Enroll(ctx, EnrollRequest{Name: "patient9", Secret: "s"})
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, ErrUnavailable, "the caller's own cancellation is not the CA's fault")
}

// TestOneEnrollmentThenOnlyReenroll: on a CA that allows one enrollment per identity (as network.sh's
// do), the secret gives one certificate; a second enrollment is refused with ErrEnrollmentRefused;
// the identity renews with its certificate (reenroll), and once the old certificate is revoked only
// the new one can renew it.
func TestOneEnrollmentThenOnlyReenroll(t *testing.T) {
	f := newFakeCA(t)
	f.SetMaxEnrollments(1)
	ca := fakeCAClient(t, f)
	ctx := context.Background()
	admin, err := ca.Enroll(ctx, EnrollRequest{Name: "admin", Secret: "adminpw"})
	require.NoError(t, err)
	_, err = ca.Enroll(ctx, EnrollRequest{Name: "admin", Secret: "adminpw"})
	require.ErrorIs(t, err, ErrEnrollmentRefused, "the registrar too enrolls once")

	secret, err := ca.Register(ctx, admin, RegisterRequest{Name: "patient7", Attributes: []Attribute{
		{Name: "role", Value: "patient", ECert: true}, {Name: "subject", Value: "pat-00000007", ECert: true}}})
	require.NoError(t, err)
	other, err := ca.Register(ctx, admin, RegisterRequest{Name: "patient8"})
	require.NoError(t, err)
	require.NotEqual(t, secret, other)

	_, err = ca.Enroll(ctx, EnrollRequest{Name: "patient7", Secret: "patient7-secret"})
	require.ErrorIs(t, err, ErrEnrollmentRefused, "the old guessable secret")
	first, err := ca.Enroll(ctx, EnrollRequest{Name: "patient7", Secret: secret})
	require.NoError(t, err)
	first.Info.MSPID, first.Info.Org = "HospitalMSP", "hospital"

	_, err = ca.Enroll(ctx, EnrollRequest{Name: "patient7", Secret: secret})
	require.ErrorIs(t, err, ErrEnrollmentRefused)
	require.ErrorIs(t, err, ErrForbidden)
	require.NotErrorIs(t, err, ErrDuplicate)
	var caErr *CAError
	require.ErrorAs(t, err, &caErr)
	require.Equal(t, 20, caErr.Code)
	require.Contains(t, err.Error(), "used its enrollments (renew with reenroll)")

	renewed, err := ca.Reenroll(ctx, first, ReenrollRequest{})
	require.NoError(t, err)
	require.NoError(t, renewed.Check())
	require.NotEqual(t, string(first.PrivateKey), string(renewed.PrivateKey), "a new key")
	require.Equal(t, IdentityInfo{Name: "patient7", Org: "hospital", MSPID: "HospitalMSP", Role: "patient", Subject: "pat-00000007"}, renewed.Info)
	require.Equal(t, f.CA.CertPEM, renewed.CACerts)

	// The old certificate can renew too, until it is revoked; then only the new one can.
	require.NoError(t, ca.RevokeSelf(ctx, first, ""))
	_, err = ca.Reenroll(ctx, first, ReenrollRequest{})
	require.ErrorAs(t, err, &caErr)
	require.Equal(t, "reenroll", caErr.Op)
	require.ErrorIs(t, err, ErrForbidden)
	require.NotErrorIs(t, err, ErrEnrollmentRefused)
	require.Contains(t, err.Error(), "does not accept this certificate")
	again, err := ca.Reenroll(ctx, renewed, ReenrollRequest{})
	require.NoError(t, err)
	require.NoError(t, again.Check())

	t.Run("one identity cannot revoke another's certificate", func(t *testing.T) {
		p8, err := ca.Enroll(ctx, EnrollRequest{Name: "patient8", Secret: other})
		require.NoError(t, err)
		err = ca.RevokeSelf(ctx, &Credentials{Certificate: again.Certificate, PrivateKey: p8.PrivateKey}, "")
		require.Error(t, err, "a token signed with another key")
		_, err = ca.Reenroll(ctx, again, ReenrollRequest{})
		require.NoError(t, err)
	})
	t.Run("bad credentials are refused before any request", func(t *testing.T) {
		_, err := ca.Reenroll(ctx, nil, ReenrollRequest{})
		require.ErrorContains(t, err, "no current credentials")
		_, err = ca.Reenroll(ctx, &Credentials{Certificate: first.Certificate, PrivateKey: renewed.PrivateKey}, ReenrollRequest{})
		require.ErrorContains(t, err, "does not match the certificate")
	})
}
