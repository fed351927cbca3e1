//go:build faults

package faults

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/healthledger/healthledger/internal/netproc"
)

// orderer is one orderer node, as the process that network.sh started was configured.
type orderer struct {
	name      string
	adminAddr string // host:port of its channel participation API
	walDir    string
	snapDir   string
	ledgerDir string
}

// loadOrderers reads each running orderer's settings from its environment: network.sh configures
// orderers only through environment variables.
func (c *cluster) loadOrderers() error {
	var names []string
	for name := range netproc.PIDs(c.netdir) {
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
