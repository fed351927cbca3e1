package ccserver_test

import (
	"bytes"
	"errors"
	"net/http"
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

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRunReportsWhyServingStopped(t *testing.T) {
	boom := errors.New("boom")
	err := ccserver.Run("x-cc", starter{err: boom}, env(nil), &bytes.Buffer{})
	require.ErrorIs(t, err, boom)
	require.Contains(t, err.Error(), "serving x-cc")
}

func TestRunServesPprofWhileTheChaincodeRuns(t *testing.T) {
	var log bytes.Buffer
	served := false
	err := ccserver.Run("x-cc", starter{check: func() {
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
	err := ccserver.Run("x-cc", starter{check: func() { started = true }}, env(map[string]string{"HL_PPROF_ADDR": "0.0.0.0:6060"}), &bytes.Buffer{})
	require.Error(t, err)
	require.False(t, started, "the chaincode must not start with a bad pprof address")
}
