// Package pprofserver serves Go's runtime profiles (net/http/pprof) next to a chaincode server, for
// profiling it under load. It is opt-in: a chaincode's main calls FromEnv, which does nothing unless
// HL_PPROF_ADDR is set. The profiles are served on the loopback address only, from their own
// http.ServeMux (never http.DefaultServeMux), so nothing else is exposed.
//
// Take a 20-second CPU profile of a server started with HL_PPROF_ADDR=127.0.0.1:6060:
//
//	go tool pprof -seconds 20 http://127.0.0.1:6060/debug/pprof/profile
package pprofserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"
)

// EnvAddr is the environment variable that turns the profile server on: host:port, host 127.0.0.1.
const EnvAddr = "HL_PPROF_ADDR"

// loopback is the only host the profile server may listen on: profiles show the program's code and
// memory, so they must not be reachable from another machine.
const loopback = "127.0.0.1"

// ErrNotLoopback is returned for an address whose host is not 127.0.0.1.
var ErrNotLoopback = errors.New("the pprof address must be on host " + loopback)

// Server is a running profile server.
type Server struct {
	http *http.Server
	ln   net.Listener
	done chan error
}

// CheckAddr returns an error unless addr is 127.0.0.1:PORT with a port in 0..65535 (0 picks a free
// port).
func CheckAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("pprof address %q: %w", addr, err)
	}
	if host != loopback {
		return fmt.Errorf("pprof address %q: %w, not %q", addr, ErrNotLoopback, host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("pprof address %q: port %q is not a number in 0..65535", addr, port)
	}
	return nil
}

// Handler returns a mux that serves the profiles under /debug/pprof/: the index, every named profile
// (heap, goroutine, mutex, block, allocs, threadcreate), cmdline, profile (CPU), symbol and trace.
func Handler() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// Start listens on addr (checked by CheckAddr) and serves Handler until Shutdown. The listener is
// open when Start returns, so a port in use is reported here, not later.
func Start(ctx context.Context, addr string) (*Server, error) {
	if err := CheckAddr(addr); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serving pprof: %w", err)
	}
	s := &Server{
		// No write timeout: a CPU profile or trace answers after the seconds it was asked for.
		http: &http.Server{Handler: Handler(), ReadHeaderTimeout: 10 * time.Second},
		ln:   ln,
		done: make(chan error, 1),
	}
	go func() { s.done <- s.http.Serve(ln) }()
	return s, nil
}

// FromEnv starts a profile server on the address in HL_PPROF_ADDR, read through getenv (os.Getenv in
// a main). When the variable is unset or empty it starts nothing and returns nil, nil.
func FromEnv(ctx context.Context, getenv func(string) string) (*Server, error) {
	addr := getenv(EnvAddr)
	if addr == "" {
		return nil, nil
	}
	s, err := Start(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvAddr, err)
	}
	return s, nil
}

// Addr is the address the server listens on (with the real port when 0 was asked for).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Shutdown stops the server, waiting for requests in progress until ctx ends. A nil Server is a no-op,
// so a main can call it on what FromEnv returned.
func (s *Server) Shutdown(ctx context.Context) error {
	if s == nil {
		return nil
	}
	if err := s.http.Shutdown(ctx); err != nil {
		return fmt.Errorf("stopping the pprof server: %w", err)
	}
	if err := <-s.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving pprof: %w", err)
	}
	return nil
}
