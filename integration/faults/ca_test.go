//go:build faults

package faults

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// caDown is scenario e: an org's Fabric CA stopped ('network.sh stop') while a registered identity
// enrolls through the SDK's CA client, under the usual load (which the CA is not on the path of).
// The enrollment must fail at once with an error that names the operation, the CA's address and the
// cause; once 'network.sh start' has the CA back, the same enrollment must work, and the identity it
// gives must submit a transaction.
func (s *suite) caDown(t *testing.T, org sdk.OrgInfo) {
	ctx := context.Background()
	s.healthy(t)
	prof, err := s.net.Profile(org.Name)
	if err != nil {
		t.Fatal(err)
	}
	if prof.CA == nil || prof.CA.Registrar == "" {
		t.Fatalf("the %s profile names no CA or no registrar", org.Name)
	}
	ca, err := prof.CAClient()
	if err != nil {
		t.Fatal(err)
	}
	caURL, err := url.Parse(prof.CA.URL)
	if err != nil {
		t.Fatal(err)
	}
	wallet, err := sdk.OpenWallet(s.net.WalletDir())
	if err != nil {
		t.Fatal(err)
	}
	registrar, err := wallet.Get(prof.CA.Registrar)
	if err != nil {
		t.Fatal(err)
	}
	name := s.prefix("enrollee")
	secret, err := ca.Register(ctx, registrar, sdk.RegisterRequest{Name: name})
	if err != nil {
		t.Fatalf("registering %s while the CA is up: %v", name, err)
	}

	node := "ca-" + org.Name
	row := "e. " + node + " stopped during enroll, start"
	ld := startLoad(ctx, t, s.net, row, s.prefix("ca"), s.b.writers)
	time.Sleep(s.b.load)
	fault := time.Now()
	if out, err := s.c.network(2*time.Minute, "stop", node); err != nil {
		t.Fatalf("network.sh stop %s: %v\n%s", node, err, out)
	}
	t.Logf("%s stopped under load", node)

	// Down: enroll (and register) must fail promptly, saying what and where.
	tryCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	begin := time.Now()
	_, enrollErr := ca.Enroll(tryCtx, sdk.EnrollRequest{Name: name, Secret: secret})
	failedIn := time.Since(begin)
	_, registerErr := ca.Register(tryCtx, registrar, sdk.RegisterRequest{Name: name + "-2"})
	cancel()

	back, startErr := s.c.start(node, s.b.catchup)
	backAt := time.Now()

	// Back: the same enrollment works, and the identity submits.
	var creds *sdk.Credentials
	var againErr error
	for {
		tryCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		creds, againErr = ca.Enroll(tryCtx, sdk.EnrollRequest{Name: name, Secret: secret})
		cancel()
		if againErr == nil || time.Since(backAt) > 10*time.Second || startErr != nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	enrolledAfter := time.Since(backAt)
	var submitErr error
	if creds != nil {
		creds.Info.MSPID, creds.Info.Org = prof.MSPID, prof.Name
		submitErr = submitAs(ctx, s.net, org.Name, creds, name)
	}

	base := baseRate(ld.snapshot(), baseFrom(ld.started, fault), fault)
	ld.runUntil(fault, base, backAt.Add(s.b.after), backAt.Add(s.b.after+s.b.maxRecovery))
	if err := ld.finish(2 * time.Minute); err != nil {
		t.Error(err)
	}
	calls := ld.snapshot()
	f := measure(row, s.b.writers, calls, ld.started, fault, ld.stopped)
	f.back = back
	if enrollErr != nil {
		f.note("enroll with the CA down failed after %.2f s: %s", failedIn.Seconds(), trim(enrollErr.Error(), 160))
	}
	if againErr == nil {
		f.note("enrolled %.1f s after 'start' returned; the new identity committed a write", enrolledAfter.Seconds())
	}
	s.verify(t, calls, f)
	report(t, f)
	s.assertCommon(t, f)

	if startErr != nil {
		t.Fatalf("network.sh start %s: %v", node, startErr)
	}
	if enrollErr == nil {
		t.Errorf("enroll succeeded with %s stopped", node)
	} else {
		t.Logf("enroll with %s stopped: %v", node, enrollErr)
		msg := enrollErr.Error()
		for _, want := range []string{"enroll", caURL.Host, "connection refused"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the error of an enroll with the CA down does not say %q: %s", want, msg)
			}
		}
		if failedIn > 5*time.Second {
			t.Errorf("enroll with the CA down took %s to fail; want a prompt failure", failedIn)
		}
		if errors.Is(enrollErr, sdk.ErrUnavailable) {
			t.Logf("the error matches sdk.ErrUnavailable")
		} else {
			t.Logf("note: the error does not match sdk.ErrUnavailable (only a CA's HTTP 503 does)")
		}
	}
	if registerErr == nil || !strings.Contains(registerErr.Error(), "register") || !strings.Contains(registerErr.Error(), caURL.Host) {
		t.Errorf("register with the CA down: want an error naming register and %s, got %v", caURL.Host, registerErr)
	}
	if againErr != nil {
		t.Errorf("enroll still fails 10 s after %s is back: %v", node, againErr)
	}
	if submitErr != nil {
		t.Errorf("the identity enrolled after the CA came back could not submit: %v", submitErr)
	}
}

// submitAs connects with creds to org's gateway and commits one baseline write.
func submitAs(ctx context.Context, net *sdk.Network, org string, creds *sdk.Credentials, key string) error {
	path, err := net.ProfilePath(org)
	if err != nil {
		return err
	}
	c, err := sdk.Connect(ctx, path, sdk.WithCredentials(creds), sdk.WithNetwork(net))
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Contract("baseline").Submit(ctx, "Add", []string{key, "1"}); err != nil {
		return fmt.Errorf("submit as the enrolled identity: %w", err)
	}
	return nil
}
