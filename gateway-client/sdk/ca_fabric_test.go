package sdk

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fabricCAServer is where the lead builds the Fabric binaries; the test skips when it is absent.
const fabricCAServer = "/tmp/fbin/fabric-ca-server"

// TestEnrollAndRegisterAgainstARealFabricCA runs a real fabric-ca-server on a random 127.0.0.1 port
// in a temporary folder, and speaks to it with the SDK's REST client.
func TestEnrollAndRegisterAgainstARealFabricCA(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a fabric-ca-server")
	}
	if _, err := os.Stat(fabricCAServer); err != nil {
		t.Skipf("no %s: %v", fabricCAServer, err)
	}
	home := t.TempDir()
	port := freeAddr(t)[len("127.0.0.1:"):]
	cmd := exec.Command(fabricCAServer, "start", "-b", "admin:adminpw", "-H", home,
		"--address", "127.0.0.1", "--port", port, "--tls.enabled", "--ca.name", "ca-hospital",
		"--operations.listenaddress", "127.0.0.1:0")
	logFile, err := os.Create(filepath.Join(home, "server.log"))
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logFile.Close()
	})
	logTail := func() string {
		data, _ := os.ReadFile(filepath.Join(home, "server.log"))
		if len(data) > 2000 {
			data = data[len(data)-2000:]
		}
		return string(data)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var ca *CAClient
	var admin *Credentials
	var lastErr error
	for {
		if tlsPEM, err := os.ReadFile(filepath.Join(home, "ca-cert.pem")); err == nil {
			// The server's TLS certificate names localhost, signed by its CA.
			ca, err = NewCAClientPEM(fmt.Sprintf("https://localhost:%s", port), "ca-hospital", tlsPEM)
			require.NoError(t, err)
			admin, err = ca.Enroll(ctx, EnrollRequest{Name: "admin", Secret: "adminpw"})
			if err == nil {
				break
			}
			lastErr = err
		}
		select {
		case <-ctx.Done():
			t.Fatalf("fabric-ca-server did not come up in time (last error: %v); log:\n%s", lastErr, logTail())
		case <-time.After(200 * time.Millisecond):
		}
	}

	secret, err := ca.Register(ctx, admin, RegisterRequest{Name: "patient9", Secret: "pw9", Affiliation: ".", Attributes: []Attribute{
		{Name: "role", Value: "patient", ECert: true},
		{Name: "subject", Value: "pat-0000beef", ECert: true},
		{Name: "note", Value: "kept out"},
	}})
	require.NoError(t, err, logTail())
	require.Equal(t, "pw9", secret)

	creds, err := ca.Enroll(ctx, EnrollRequest{Name: "patient9", Secret: secret})
	require.NoError(t, err)
	require.Equal(t, "patient", creds.Info.Role)
	require.Equal(t, "pat-0000beef", creds.Info.Subject)
	attrs, err := creds.Attributes()
	require.NoError(t, err)
	require.NotContains(t, attrs, "note")

	requested, err := ca.Enroll(ctx, EnrollRequest{Name: "patient9", Secret: secret, AttrReqs: []AttributeRequest{{Name: "note"}, {Name: "role"}}})
	require.NoError(t, err)
	attrs, err = requested.Attributes()
	require.NoError(t, err)
	require.Equal(t, "kept out", attrs["note"])
	require.Equal(t, "patient", attrs["role"])
	require.NotContains(t, attrs, "subject")

	_, err = ca.Register(ctx, admin, RegisterRequest{Name: "patient9", Affiliation: "."})
	require.ErrorIs(t, err, ErrDuplicate)
	_, err = ca.Enroll(ctx, EnrollRequest{Name: "patient9", Secret: "wrong"})
	require.ErrorIs(t, err, ErrForbidden)

	w, err := OpenWallet(t.TempDir())
	require.NoError(t, err)
	creds.Info.MSPID = "HospitalMSP"
	require.NoError(t, w.Put(creds))
	st, err := os.Stat(filepath.Join(w.Dir(), "patient9", "keystore", "key.pem"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}
