// Command demo walks through healthledger on a running network, through the SDK only: a baseline
// write and read, then one short story per chaincode (consent, provenance, claims). It is what the
// README's first command ends with.
//
// Usage: demo [-network DIR]   (default: $HEALTHLEDGER_NETWORK, else .network/profiles)
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
)

func main() {
	def := os.Getenv("HEALTHLEDGER_NETWORK")
	if def == "" {
		def = ".network/profiles"
	}
	dir := flag.String("network", def, "the profiles folder of the network (network.json)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, *dir, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string, out io.Writer) error {
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
	var writer, reader string
	for _, id := range net.Identities(orgs[0].Roles[0]) {
		if id.Org == orgs[0].Name {
			writer = id.Name
			break
		}
	}
	last := orgs[len(orgs)-1]
	for _, id := range net.Identities(last.Roles[0]) {
		if id.Org == last.Name {
			reader = id.Name
			break
		}
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
