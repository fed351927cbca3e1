package ccserver_test

import (
	"bytes"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/healthledger/healthledger/chaincode/internal/ccserver"
	"github.com/stretchr/testify/require"
)

type starter struct {
	err   error
	check func()
}

func (s starter) Start() error {
	if s.check != nil {
		s.check()
	}
	return s.err
}

func run(name string, s starter, getenv func(string) string, log *bytes.Buffer) error {
	return ccserver.RunWith(name, s.Start, getenv, log)
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRunReportsWhyServingStopped(t *testing.T) {
	boom := errors.New("boom")
	err := run("x-cc", starter{err: boom}, env(nil), &bytes.Buffer{})
	require.ErrorIs(t, err, boom)
	require.Contains(t, err.Error(), "serving x-cc")
}

func TestRunServesPprofWhileTheChaincodeRuns(t *testing.T) {
	var log bytes.Buffer
	served := false
	err := run("x-cc", starter{check: func() {
		// The log line names the address; the profile index answers while the chaincode runs.
		line := log.String()
		require.Contains(t, line, "serving pprof on http://127.0.0.1:")
		url := line[len("x-cc: serving pprof on "):len(line)-1] + "cmdline"
		resp, err := http.Get(url)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		served = true
	}}, env(map[string]string{"HL_PPROF_ADDR": "127.0.0.1:0"}), &log)
	require.NoError(t, err)
	require.True(t, served)
}

func TestRunRefusesAPprofAddressOffLoopback(t *testing.T) {
	started := false
	err := run("x-cc", starter{check: func() { started = true }}, env(map[string]string{"HL_PPROF_ADDR": "0.0.0.0:6060"}), &bytes.Buffer{})
	require.Error(t, err)
	require.False(t, started, "the chaincode must not start with a bad pprof address")
}

func TestTheEnvironmentChoosesHowTheChaincodeIsServed(t *testing.T) {
	dir := t.TempDir()
	key, cert := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	require.NoError(t, os.WriteFile(key, []byte("KEY"), 0o600))
	require.NoError(t, os.WriteFile(cert, []byte("CERT"), 0o600))

	t.Run("without an address the chaincode connects to its peer", func(t *testing.T) {
		s, err := ccserver.ServerConfig(nil, env(map[string]string{ccserver.EnvChaincodeID: "cc:1"}))
		require.NoError(t, err)
		require.Nil(t, s)
	})
	t.Run("an address and an id make a server without TLS", func(t *testing.T) {
		s, err := ccserver.ServerConfig(nil, env(map[string]string{ccserver.EnvServerAddress: "127.0.0.1:9999", ccserver.EnvChaincodeID: "cc:1"}))
		require.NoError(t, err)
		require.Equal(t, "cc:1", s.CCID)
		require.Equal(t, "127.0.0.1:9999", s.Address)
		require.True(t, s.TLSProps.Disabled)
	})
	t.Run("TLS reads the key and certificate files", func(t *testing.T) {
		s, err := ccserver.ServerConfig(nil, env(map[string]string{
			ccserver.EnvServerAddress: "127.0.0.1:9999", ccserver.EnvChaincodeID: "cc:1",
			ccserver.EnvTLSEnabled: "true", ccserver.EnvTLSKey: key, ccserver.EnvTLSCert: cert,
		}))
		require.NoError(t, err)
		require.False(t, s.TLSProps.Disabled)
		require.Equal(t, []byte("KEY"), s.TLSProps.Key)
		require.Equal(t, []byte("CERT"), s.TLSProps.Cert)
		require.Nil(t, s.TLSProps.ClientCACerts)
	})
	t.Run("a missing TLS file is an error that names its variable", func(t *testing.T) {
		_, err := ccserver.ServerConfig(nil, env(map[string]string{
			ccserver.EnvServerAddress: "127.0.0.1:9999", ccserver.EnvChaincodeID: "cc:1",
			ccserver.EnvTLSEnabled: "true", ccserver.EnvTLSKey: key, ccserver.EnvTLSCert: filepath.Join(dir, "nope"),
		}))
		require.ErrorIs(t, err, fs.ErrNotExist)
		require.Contains(t, err.Error(), ccserver.EnvTLSCert)
	})
}
