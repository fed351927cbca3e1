package pprofserver

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		name    string
		addr    string
		wantErr bool
		notLoop bool
	}{
		{name: "a loopback address with a port is accepted", addr: "127.0.0.1:6060"},
		{name: "port 0 is accepted and picks a free port", addr: "127.0.0.1:0"},
		{name: "every interface is refused", addr: ":6060", wantErr: true, notLoop: true},
		{name: "0.0.0.0 is refused", addr: "0.0.0.0:6060", wantErr: true, notLoop: true},
		{name: "another host is refused", addr: "10.0.0.7:6060", wantErr: true, notLoop: true},
		{name: "a host name is refused", addr: "localhost:6060", wantErr: true, notLoop: true},
		{name: "an address without a port is refused", addr: "127.0.0.1", wantErr: true},
		{name: "a port out of range is refused", addr: "127.0.0.1:70000", wantErr: true},
		{name: "a named port is refused", addr: "127.0.0.1:http", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAddr(tt.addr)
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			if tt.notLoop {
				require.ErrorIs(t, err, ErrNotLoopback)
			}
		})
	}
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnv(t *testing.T) {
	t.Run("nothing is started when the variable is unset", func(t *testing.T) {
		s, err := FromEnv(context.Background(), env(nil))
		require.NoError(t, err)
		require.Nil(t, s)
		require.NoError(t, s.Shutdown(context.Background()), "a nil server shuts down as a no-op")
	})
	t.Run("another host is refused with a clear error", func(t *testing.T) {
		s, err := FromEnv(context.Background(), env(map[string]string{EnvAddr: "0.0.0.0:0"}))
		require.ErrorIs(t, err, ErrNotLoopback)
		require.Nil(t, s)
		require.Contains(t, err.Error(), EnvAddr)
	})
	t.Run("a port in use is reported at start", func(t *testing.T) {
		first, err := Start(context.Background(), "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, first.Shutdown(context.Background())) })
		_, err = FromEnv(context.Background(), env(map[string]string{EnvAddr: first.Addr()}))
		require.Error(t, err)
	})
	t.Run("the profiles are served on the address", func(t *testing.T) {
		s, err := FromEnv(context.Background(), env(map[string]string{EnvAddr: "127.0.0.1:0"}))
		require.NoError(t, err)
		require.NotNil(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()

		for path, want := range map[string]string{
			"/debug/pprof/":                  "goroutine",
			"/debug/pprof/goroutine?debug=1": "goroutine profile",
			"/debug/pprof/cmdline":           "pprofserver",
			"/debug/pprof/heap?debug=1":      "heap profile",
		} {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.Addr()+path, nil)
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err, path)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, resp.Body.Close())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode, path)
			require.True(t, strings.Contains(string(body), want), "%s should mention %q", path, want)
		}

		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.Addr()+"/", nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusNotFound, resp.StatusCode, "nothing but the profiles is served")

		require.NoError(t, s.Shutdown(ctx))
		_, err = http.DefaultClient.Do(req)
		require.Error(t, err, "the server is gone after Shutdown")
	})
}
