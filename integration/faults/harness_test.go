//go:build faults

// Package faults injects faults (killed processes, restarts) into a live native Fabric network and
// checks that it recovers. Each test starts a network of its own with test-network-scripts/network.sh
// in its own state folder and stops it afterwards; nothing here touches another network.
//
// Run: go test -tags faults -race -count=1 -timeout 30m -v ./integration/faults/...
//
// Environment:
//   - HL_NETWORK_DIR: the state folder (default <repo>/.network-faults), purged before and after;
//   - HL_PORT_OFFSET: added to every port of the network (default 30000);
//   - HL_FAULTS_RESTARTS, HL_FAULTS_WAL_MB, HL_FAULTS_REJOIN_TIMEOUT: see walreplay_test.go.
//
// The processes that network.sh starts outlive it: the test process becomes their child subreaper,
// reaps the ones it ends, and fails if any is left after network.sh down.
package faults

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

func TestMain(m *testing.M) {
	// Processes that network.sh starts are re-parented to this process when the script exits, so
	// that this process can reap the ones it kills, and no zombie is left behind.
	if err := becomeSubreaper(); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// cluster is a network that a test started, and what the test needs to reach it.
type cluster struct {
	root     string   // the repository
	netdir   string   // the network's state folder
	env      []string // the environment of every network.sh run
	channel  string
	orderers []*orderer
	admin    *http.Client // the orderer org admin's mutual-TLS client for the participation API
	started  map[int]string
}

// orderer is one orderer node, as the process that network.sh started was configured.
type orderer struct {
	name      string
	adminAddr string // host:port of its channel participation API
	walDir    string
	snapDir   string
	ledgerDir string
}

// startCluster brings up a network with the baseline chaincode in the state folder of the faults
// suite, with extra environment variables for network.sh, and stops it when the test ends.
func startCluster(t *testing.T, extra ...string) *cluster {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	netdir := os.Getenv("HL_NETWORK_DIR")
	if netdir == "" {
		netdir = filepath.Join(root, ".network-faults")
	}
	offset := os.Getenv("HL_PORT_OFFSET")
	if offset == "" {
		offset = "30000"
	}
	c := &cluster{root: root, netdir: netdir, started: map[int]string{}}
	c.env = append(os.Environ(), "HL_NETWORK_DIR="+netdir, "HL_PORT_OFFSET="+offset)
	c.env = append(c.env, extra...)

	if out, err := c.network(5*time.Minute, "down", "--purge"); err != nil {
		t.Fatalf("clearing %s: %v\n%s", netdir, err, out)
	}
	t.Cleanup(func() { c.teardown(t) })
	start := time.Now()
	// No chaincode but baseline: 'up' would deploy all of them, and wait on a readiness probe that
	// this suite replaces with its own retried submits.
	for try := 1; ; try++ {
		out, err := c.network(15*time.Minute, "up", "--no-deploy")
		if err == nil {
			break
		}
		// Our ports lie in Linux's ephemeral range (32768-60999): a client socket of any process
		// can hold one for a moment. network.sh stopped what it started; try again.
		if try < 3 && strings.Contains(out, "bind: address already in use") {
			t.Logf("network.sh up: a port was taken while starting (try %d); again", try)
			continue
		}
		t.Fatalf("network.sh up: %v\n%s", err, out)
	}
	if out, err := c.network(15*time.Minute, "deploy", "baseline"); err != nil {
		t.Fatalf("network.sh deploy baseline: %v\n%s", err, out)
	}
	t.Logf("network up in %s (%s, ports +%s)", time.Since(start).Round(time.Second), netdir, offset)
	c.recordPids()

	var nj struct {
		Channel string `json:"channel"`
	}
	if err := readJSON(filepath.Join(netdir, "profiles", "network.json"), &nj); err != nil {
		t.Fatal(err)
	}
	c.channel = nj.Channel
	if err := c.loadOrderers(); err != nil {
		t.Fatal(err)
	}
	if c.admin, err = c.adminClient(); err != nil {
		t.Fatal(err)
	}
	return c
}

// network runs network.sh with the cluster's environment, bounded by timeout, and returns its output.
func (c *cluster) network(timeout time.Duration, args ...string) (string, error) {
	return c.networkEnv(nil, timeout, args...)
}

// networkEnv runs network.sh like network, with extra environment variables.
func (c *cluster) networkEnv(extra []string, timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.root, "test-network-scripts", "network.sh"), args...)
	cmd.Env = append(append([]string(nil), c.env...), extra...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// network.sh's own children (curl, go, ...) keep the pipe open after a time-out kill: stop
	// waiting for them then.
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("network.sh %s: no answer after %s: %w", strings.Join(args, " "), timeout, ctx.Err())
	} else if err != nil {
		err = fmt.Errorf("network.sh %s: %w", strings.Join(args, " "), err)
	}
	return out.String(), err
}

// hasCommand tells whether network.sh offers cmd (its usage names it).
func (c *cluster) hasCommand(cmd string) bool {
	out, _ := c.network(time.Minute, "help")
	return regexp.MustCompile(`network\.sh ` + regexp.QuoteMeta(cmd) + `\b`).MatchString(out)
}

// pids reads the processes that network.sh recorded: name to pid.
func (c *cluster) pids() map[string]int {
	out := map[string]int{}
	files, _ := filepath.Glob(filepath.Join(c.netdir, "pids", "*.pid"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil {
			out[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
		}
	}
	return out
}

// recordPids remembers every process the network runs now, to check at the end that none is left.
func (c *cluster) recordPids() {
	for name, pid := range c.pids() {
		c.started[pid] = name
	}
}

// pidOf returns the pid of the process network.sh recorded as name if that process still runs the
// binary network.sh started (the check network.sh itself makes), or 0.
func (c *cluster) pidOf(name string) int {
	pf := filepath.Join(c.netdir, "pids", name+".pid")
	raw, err := os.ReadFile(pf)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return 0
	}
	want, err := os.ReadFile(pf + ".cmd")
	if err != nil {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.HasPrefix(strings.ReplaceAll(string(cmdline), "\x00", " "), strings.TrimSpace(string(want))) {
		return 0
	}
	return pid
}

// signal sends sig to the network's process name, which this run started, and for a signal that
// ends it, waits until it has ended and reaps it.
func (c *cluster) signal(name string, sig syscall.Signal, wait time.Duration) error {
	pid := c.pidOf(name)
	if pid == 0 {
		return fmt.Errorf("%s is not running", name)
	}
	c.started[pid] = name
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("signal %v to %s (pid %d): %w", sig, name, pid, err)
	}
	if !gone(pid, wait) {
		return fmt.Errorf("%s (pid %d) still exists %s after signal %v", name, pid, wait, sig)
	}
	return nil
}

// teardown stops the network, reaps its processes and fails the test if any is left.
func (c *cluster) teardown(t *testing.T) {
	c.recordPids()
	if out, err := c.network(5*time.Minute, "down", "--purge"); err != nil {
		t.Errorf("network.sh down: %v\n%s", err, out)
	}
	var left []string
	for pid, name := range c.started {
		if !gone(pid, 5*time.Second) {
			left = append(left, fmt.Sprintf("%s (pid %d)", name, pid))
		}
	}
	sort.Strings(left)
	if len(left) > 0 {
		t.Errorf("processes left after network.sh down: %s", strings.Join(left, ", "))
	} else {
		t.Logf("network down, %d processes ended, none left", len(c.started))
	}
}

// loadOrderers reads each running orderer's settings from its environment: network.sh configures
// orderers only through environment variables.
func (c *cluster) loadOrderers() error {
	var names []string
	for name := range c.pids() {
		if strings.HasPrefix(name, "orderer") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return fmt.Errorf("no orderer recorded in %s", filepath.Join(c.netdir, "pids"))
	}
	for _, name := range names {
		pid := c.pidOf(name)
		if pid == 0 {
			return fmt.Errorf("%s is not running", name)
		}
		env, err := procEnv(pid)
		if err != nil {
			return fmt.Errorf("reading the settings of %s: %w", name, err)
		}
		o := &orderer{
			name:      name,
			adminAddr: env["ORDERER_ADMIN_LISTENADDRESS"],
			walDir:    env["ORDERER_CONSENSUS_WALDIR"],
			snapDir:   env["ORDERER_CONSENSUS_SNAPDIR"],
			ledgerDir: env["ORDERER_FILELEDGER_LOCATION"],
		}
		if o.adminAddr == "" || o.walDir == "" || o.snapDir == "" || o.ledgerDir == "" {
			return fmt.Errorf("%s (pid %d) lacks ORDERER_ADMIN_LISTENADDRESS, ORDERER_CONSENSUS_WALDIR, ORDERER_CONSENSUS_SNAPDIR or ORDERER_FILELEDGER_LOCATION", name, pid)
		}
		if !strings.HasPrefix(o.adminAddr, "127.0.0.1:") {
			return fmt.Errorf("%s's admin endpoint %s is not on 127.0.0.1", name, o.adminAddr)
		}
		c.orderers = append(c.orderers, o)
	}
	return nil
}

func procEnv(pid int) (map[string]string, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return nil, fmt.Errorf("reading the environment of pid %d: %w", pid, err)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(raw), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env, nil
}

// adminClient is an HTTPS client with the orderer org admin's TLS certificate, which the orderers'
// admin endpoints require (mutual TLS).
func (c *cluster) adminClient() (*http.Client, error) {
	orgs, _ := filepath.Glob(filepath.Join(c.netdir, "crypto", "ordererOrganizations", "*"))
	if len(orgs) != 1 {
		return nil, fmt.Errorf("want one orderer org in %s, found %d", filepath.Join(c.netdir, "crypto", "ordererOrganizations"), len(orgs))
	}
	domain := filepath.Base(orgs[0])
	tlsDir := filepath.Join(orgs[0], "users", "Admin@"+domain, "tls")
	cert, err := tls.LoadX509KeyPair(filepath.Join(tlsDir, "client.crt"), filepath.Join(tlsDir, "client.key"))
	if err != nil {
		return nil, fmt.Errorf("loading the orderer admin's TLS key pair: %w", err)
	}
	caPEM, err := os.ReadFile(filepath.Join(orgs[0], "tlsca", "tlsca."+domain+"-cert.pem"))
	if err != nil {
		return nil, fmt.Errorf("reading the orderer org's TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("no certificate in the orderer org's TLS CA file")
	}
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			RootCAs:      pool,
			MinVersion:   tls.VersionTLS12,
		}},
	}, nil
}

// height asks an orderer's channel participation API for the height of the channel.
func (c *cluster) height(ctx context.Context, o *orderer) (uint64, error) {
	url := fmt.Sprintf("https://%s/participation/v1/channels/%s", o.adminAddr, c.channel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("request for %s: %w", o.name, err)
	}
	resp, err := c.admin.Do(req)
	if err != nil {
		return 0, fmt.Errorf("asking %s for the height of %s: %w", o.name, c.channel, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("asking %s for the height of %s: %s: %s", o.name, c.channel, resp.Status, strings.TrimSpace(string(body)))
	}
	var info struct {
		Status string `json:"status"`
		Height uint64 `json:"height"`
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return 0, fmt.Errorf("parsing %s's channel info %q: %w", o.name, body, err)
	}
	return info.Height, nil
}

// heights returns every orderer's height of the channel; an orderer that does not answer has none.
func (c *cluster) heights(ctx context.Context) map[string]uint64 {
	out := map[string]uint64{}
	for _, o := range c.orderers {
		if h, err := c.height(ctx, o); err == nil {
			out[o.name] = h
		}
	}
	return out
}

// orderer returns the orderer named name.
func (c *cluster) orderer(name string) *orderer {
	for _, o := range c.orderers {
		if o.name == name {
			return o
		}
	}
	return nil
}

// logSinceStart returns what the process name logged since network.sh last started it.
func (c *cluster) logSinceStart(name string) string {
	raw, err := os.ReadFile(filepath.Join(c.netdir, "logs", name+".log"))
	if err != nil {
		return ""
	}
	s := string(raw)
	if i := strings.LastIndex(s, "----- start "); i >= 0 {
		s = s[i:]
	}
	return s
}

// --- the gateway -------------------------------------------------------------------------------------

// gateway is one org's Fabric Gateway connection, as its admin, to the baseline chaincode. It reads
// only the profiles that network.sh writes, so it does not depend on the project's SDK.
type gateway struct {
	org      string
	conn     *grpc.ClientConn
	gw       *client.Gateway
	contract *client.Contract
}

func (g *gateway) Close() {
	g.gw.Close()
	g.conn.Close()
}

// connect opens the gateway of the first org in network.json.
func (c *cluster) connect() (*gateway, error) {
	dir := filepath.Join(c.netdir, "profiles")
	var nj struct {
		Channel string `json:"channel"`
		Orgs    []struct {
			Name    string `json:"name"`
			Profile string `json:"profile"`
		} `json:"orgs"`
	}
	if err := readJSON(filepath.Join(dir, "network.json"), &nj); err != nil {
		return nil, err
	}
	if len(nj.Orgs) == 0 {
		return nil, fmt.Errorf("%s lists no org", filepath.Join(dir, "network.json"))
	}
	var p struct {
		MSPID string `json:"mspId"`
		Peers []struct {
			Endpoint     string `json:"endpoint"`
			TLSCACert    string `json:"tlsCACert"`
			HostOverride string `json:"hostOverride"`
		} `json:"peers"`
		AdminMSP string `json:"adminMsp"`
	}
	org := nj.Orgs[0]
	if err := readJSON(filepath.Join(dir, org.Profile), &p); err != nil {
		return nil, err
	}
	if len(p.Peers) == 0 {
		return nil, fmt.Errorf("profile %s lists no peer", org.Profile)
	}
	peer := p.Peers[0]
	if !strings.HasPrefix(peer.Endpoint, "127.0.0.1:") {
		return nil, fmt.Errorf("peer endpoint %s is not on 127.0.0.1", peer.Endpoint)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, peer.TLSCACert))
	if err != nil {
		return nil, fmt.Errorf("reading the TLS CA of %s: %w", org.Name, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in the TLS CA file of %s", org.Name)
	}
	id, sign, err := loadMSP(filepath.Join(dir, p.AdminMSP), p.MSPID)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(peer.Endpoint, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, peer.HostOverride)))
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", peer.Endpoint, err)
	}
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("connecting to %s's gateway: %w", org.Name, err)
	}
	return &gateway{org: org.Name, conn: conn, gw: gw, contract: gw.GetNetwork(nj.Channel).GetContract("baseline")}, nil
}

// submit submits a baseline transaction and waits for it to commit.
func (g *gateway) submit(ctx context.Context, fn string, args ...string) error {
	if _, err := g.contract.SubmitWithContext(ctx, fn, client.WithArguments(args...)); err != nil {
		return fmt.Errorf("%s through %s's gateway: %w", fn, g.org, err)
	}
	return nil
}

func loadMSP(dir, mspID string) (*identity.X509Identity, identity.Sign, error) {
	certPEM, err := firstFile(filepath.Join(dir, "signcerts"))
	if err != nil {
		return nil, nil, err
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the certificate in %s: %w", dir, err)
	}
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, nil, fmt.Errorf("identity from %s: %w", dir, err)
	}
	keyPEM, err := firstFile(filepath.Join(dir, "keystore"))
	if err != nil {
		return nil, nil, err
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the key in %s: %w", dir, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, fmt.Errorf("signer from %s: %w", dir, err)
	}
	return id, sign, nil
}

// --- small helpers -----------------------------------------------------------------------------------

func firstFile(dir string) ([]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			return os.ReadFile(filepath.Join(dir, e.Name()))
		}
	}
	return nil, errors.New("no file in " + dir)
}

func readJSON(path string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

// dirSize is the number of bytes in the regular files under dir whose names end in suffix ("" for all).
func dirSize(dir, suffix string) (int64, int) {
	var size int64
	var n int
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(d.Name(), suffix) {
			return nil
		}
		if info, err := d.Info(); err == nil {
			size += info.Size()
			n++
		}
		return nil
	})
	return size, n
}

// envInt reads a whole number from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s must be a whole number above 0, not %q", name, v)
	}
	return n
}

// envDuration reads a duration from the environment, or def.
func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s must be a positive duration like 90s, not %q", name, v)
	}
	return d
}

// gone reaps pid if it is a finished child of ours and reports whether it no longer exists, waiting
// at most wait.
func gone(pid int, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func becomeSubreaper() error {
	if runtime.GOOS != "linux" {
		return nil
	}
	const prSetChildSubreaper = 36
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return fmt.Errorf("becoming a child subreaper: %w", errno)
	}
	return nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "test-network-scripts", "network.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no test-network-scripts/network.sh above the working directory")
		}
		dir = parent
	}
}
