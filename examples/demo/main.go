// Command demo walks through healthledger on a running network, through the SDK only: a baseline
// write and read, then one short story per chaincode (consent, provenance, claims). It is what the
// README's first command ends with.
//
// Usage: demo [-network DIR]   (default: $HEALTHLEDGER_NETWORK, else .network/profiles)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// run is the demo with its arguments, output streams and environment: it returns the exit code (0
// done, 1 a story failed, 2 usage).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	def := getenv("HEALTHLEDGER_NETWORK")
	if def == "" {
		def = ".network/profiles"
	}
	flags := flag.NewFlagSet("demo", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("network", def, "the profiles folder of the network (network.json)")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "demo: unexpected argument %q\n", flags.Arg(0))
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := demo(ctx, *dir, stdout); err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	return 0
}

// demo runs the stories on the network described in dir, printing to out.
func demo(ctx context.Context, dir string, out io.Writer) error {
	net, err := sdk.LoadNetwork(dir)
	if err != nil {
		return fmt.Errorf("loading the network: %w", err)
	}
	stories := []struct {
		title string
		run   func(context.Context, *sdk.Network, io.Writer) error
	}{
		{"baseline: the platform's own write and read", baselineStory},
		{"consent: grant, access, log, revoke, denial", consentStory},
		{"provenance: commission, ship, receive, dispense, verify, recall", provenanceStory},
		{"claims: consent, coverage, submit, adjudicate, pay", claimsStory},
	}
	for _, s := range stories {
		fmt.Fprintf(out, "\n== %s\n", s.title)
		start := time.Now()
		if err := s.run(ctx, net, out); err != nil {
			return fmt.Errorf("%s: %w", s.title, err)
		}
		fmt.Fprintf(out, "   (%s)\n", time.Since(start).Round(time.Millisecond))
	}
	fmt.Fprintln(out, "\ndemo complete")
	return nil
}

func baselineStory(ctx context.Context, net *sdk.Network, out io.Writer) error {
	orgs := net.Orgs()
	if len(orgs) == 0 {
		return fmt.Errorf("the network lists no org")
	}
	writer, err := baselineIdentity(net, orgs[0])
	if err != nil {
		return err
	}
	reader, err := baselineIdentity(net, orgs[len(orgs)-1])
	if err != nil {
		return err
	}
	w, err := net.Connect(ctx, writer)
	if err != nil {
		return err
	}
	defer w.Close()
	r, err := net.Connect(ctx, reader)
	if err != nil {
		return err
	}
	defer r.Close()
	key := fmt.Sprintf("demo-%d", time.Now().UnixNano())
	if _, err := w.Contract("baseline").Submit(ctx, "Write", []string{key, "hello from " + w.Identity().MSPID}); err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s (%s) wrote %s\n", writer, w.Identity().MSPID, key)
	var got []byte
	for i := 0; i < 50; i++ { // another org's peer commits the block a moment later
		if got, err = r.Contract("baseline").Evaluate(ctx, "Read", []string{key}); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s (%s) read it back: %q\n", reader, r.Identity().MSPID, got)
	return nil
}

// baselineIdentity returns the first identity of org holding the org's first role.
func baselineIdentity(net *sdk.Network, org sdk.OrgInfo) (string, error) {
	if len(org.Roles) == 0 {
		return "", fmt.Errorf("org %s lists no role", org.Name)
	}
	for _, id := range net.Identities(org.Roles[0]) {
		if id.Org == org.Name {
			return id.Name, nil
		}
	}
	return "", fmt.Errorf("the network has no identity of org %s with role %s", org.Name, org.Roles[0])
}
