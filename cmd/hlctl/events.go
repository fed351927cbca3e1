package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// eventsGroup holds the event tails.
func eventsGroup(env *Env) *cobra.Command {
	tail := command("tail <chaincode>", "print a chaincode's events as they commit; resumes after the last one checkpointed", func(fs *pflag.FlagSet) Runner {
		o := tailFlags(fs)
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return Usagef("events tail <chaincode>")
			}
			return tailChaincode(ctx, env, args[0], o)
		}
	})
	tail.ValidArgsFunction = completeChaincodes(env)
	blocks := command("blocks", "print committed blocks (transactions, status, event names); resumes after the last one checkpointed", func(fs *pflag.FlagSet) Runner {
		o := tailFlags(fs)
		return func(ctx context.Context, args []string) error {
			if len(args) != 0 {
				return Usagef("events blocks takes no arguments")
			}
			return tailBlocks(ctx, env, o)
		}
	})
	return group("events", "follow chaincode events or blocks, resuming from a checkpoint", coreGroupID, tail, blocks)
}

type tailOptions struct {
	ownIdentity  *bool
	checkpoint   *string
	noCheckpoint *bool
	fromBlock    *int64
	count        *int
}

func tailFlags(fs *pflag.FlagSet) tailOptions {
	return tailOptions{
		ownIdentity:  fs.Bool("own-identity", false, "read as --identity itself, not as the org's events service identity that the profile names"),
		checkpoint:   fs.String("checkpoint", "", "checkpoint `file` (default: <state dir>/<channel>-<stream>-<identity>.json; state dir $HLCTL_STATE_DIR or ~/.local/state/hlctl)"),
		noCheckpoint: fs.Bool("no-checkpoint", false, "keep no checkpoint: start at --from-block or at the next block"),
		fromBlock:    fs.Int64("from-block", -1, "start at block `n` when the checkpoint is empty"),
		count:        fs.Int("count", 0, "stop after `n` events (0: run until interrupted)"),
	}
}

// eventOptions builds the stream options; it returns the checkpoint path used ("" for none).
func (o tailOptions) eventOptions(env *Env, c *sdk.Client, stream string) ([]sdk.EventOption, string, error) {
	var opts []sdk.EventOption
	if *o.fromBlock >= 0 {
		opts = append(opts, sdk.WithStartBlock(uint64(*o.fromBlock)))
	}
	opts = append(opts, sdk.WithReconnectNotify(func(attempt int, err error) {
		env.Notef("reconnecting (attempt %d): %s", attempt, strings.Join(strings.Fields(err.Error()), " "))
	}))
	if *o.noCheckpoint {
		if *o.checkpoint != "" {
			return nil, "", Usagef("--checkpoint and --no-checkpoint exclude each other")
		}
		return opts, "", nil
	}
	path := *o.checkpoint
	if path == "" {
		dir := env.getenv("HLCTL_STATE_DIR")
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, "", fmt.Errorf("no state folder: %w (pass --checkpoint)", err)
			}
			dir = filepath.Join(home, ".local", "state", "hlctl")
		}
		who := c.Identity().Name
		if who == "" {
			who = "anonymous"
		}
		path = filepath.Join(dir, fmt.Sprintf("%s-%s-%s.json", c.Channel(), stream, who))
	}
	cp, err := sdk.NewCheckpointFile(path)
	if err != nil {
		return nil, "", err
	}
	return append(opts, sdk.WithCheckpoint(cp)), path, nil
}

// streamClient returns the client that a tail reads through: c itself with --own-identity, when the
// profile names no events service identity, or when c is that identity; otherwise a second client
// of c's profile connected as the org's events service identity, because the channel's ACLs let no
// ordinary client certificate read blocks or chaincode events (docs/operators.md). The checkpoint
// keeps the name of --identity.
func streamClient(ctx context.Context, env *Env, c *sdk.Client, o tailOptions) (*sdk.Client, func(), error) {
	prof := c.Profile()
	if *o.ownIdentity || prof == nil || prof.EventsIdentity == "" || prof.EventsIdentity == c.Identity().Name {
		return c, func() {}, nil
	}
	opts := []sdk.Option{sdk.WithIdentity(prof.EventsIdentity)}
	if n := c.Network(); n != nil {
		opts = append(opts, sdk.WithWallet(n.WalletDir()), sdk.WithNetwork(n))
	}
	ec, err := sdk.Connect(ctx, prof.Path(), opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting the events service identity %s of %s: %w", prof.EventsIdentity, prof.Name, err)
	}
	env.Notef("reading as %s, the events service identity of %s", prof.EventsIdentity, prof.Name)
	return ec, func() { _ = ec.Close() }, nil
}

// forbiddenHint adds what to do to a refusal by the channel's ACLs.
func forbiddenHint(err error) error {
	if errors.Is(err, sdk.ErrForbidden) {
		return fmt.Errorf("%w (the channel's ACLs let only admins, peers and an org's events service identity read events; drop --own-identity or pass --identity events.<org>)", err)
	}
	return err
}

func tailChaincode(ctx context.Context, env *Env, chaincode string, o tailOptions) error {
	own, err := env.Client(ctx)
	if err != nil {
		return err
	}
	c, done, err := streamClient(ctx, env, own, o)
	if err != nil {
		return err
	}
	defer done()
	opts, path, err := o.eventOptions(env, own, chaincode)
	if err != nil {
		return err
	}
	s, err := c.ChaincodeEvents(ctx, chaincode, opts...)
	if err != nil {
		return forbiddenHint(err)
	}
	defer s.Close()
	if path != "" {
		cp := s.Checkpoint()
		env.Notef("following %s events from block %d (checkpoint %s)", chaincode, cp.BlockNumber, path)
	}
	for n := 0; *o.count == 0 || n < *o.count; n++ {
		e, err := s.Next(ctx)
		if err != nil {
			return forbiddenHint(streamEnd(ctx, err))
		}
		// Print, then checkpoint: at-least-once. A process killed (SIGKILL, crash) between the two
		// prints this one event again when it restarts; an interrupt (Ctrl-C, SIGTERM) only ends
		// Next, never this step, so it repeats nothing. Checkpointing first would be at-most-once
		// (an event lost), which is worse for an audit tail.
		if err := printEvent(env, e); err != nil {
			return err
		}
		if err := s.Ack(e); err != nil {
			return err
		}
	}
	return nil
}

func printEvent(env *Env, e sdk.ChaincodeEvent) error {
	var payload any = string(e.Payload)
	if json.Valid(e.Payload) {
		payload = json.RawMessage(e.Payload)
	}
	view := struct {
		Block         uint64 `json:"blockNumber"`
		TransactionID string `json:"transactionId"`
		Chaincode     string `json:"chaincode"`
		Name          string `json:"name"`
		Payload       any    `json:"payload"`
	}{e.BlockNumber, e.TransactionID, e.Chaincode, e.Name, payload}
	if env.JSON() {
		// One event per line, for scripts.
		line, err := json.Marshal(view)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(env.Stdout, string(line))
		return err
	}
	body := string(e.Payload)
	if json.Valid(e.Payload) {
		compact, err := json.Marshal(json.RawMessage(e.Payload))
		if err == nil {
			body = string(compact)
		}
	}
	_, err := fmt.Fprintf(env.Stdout, "block %d tx %s %s.%s %s\n", e.BlockNumber, shortID(e.TransactionID), e.Chaincode, e.Name, body)
	return err
}

func tailBlocks(ctx context.Context, env *Env, o tailOptions) error {
	own, err := env.Client(ctx)
	if err != nil {
		return err
	}
	c, done, err := streamClient(ctx, env, own, o)
	if err != nil {
		return err
	}
	defer done()
	opts, path, err := o.eventOptions(env, own, "blocks")
	if err != nil {
		return err
	}
	s, err := c.BlockEvents(ctx, opts...)
	if err != nil {
		return forbiddenHint(err)
	}
	defer s.Close()
	if path != "" {
		env.Notef("following blocks from block %d (checkpoint %s)", s.Checkpoint().BlockNumber, path)
	}
	for n := 0; *o.count == 0 || n < *o.count; n++ {
		b, err := s.Next(ctx)
		if err != nil {
			return forbiddenHint(streamEnd(ctx, err))
		}
		if env.JSON() {
			line, err := json.Marshal(b)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintln(env.Stdout, string(line)); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(env.Stdout, "block %d: %d transactions\n", b.Number, len(b.Transactions))
			for _, tx := range b.Transactions {
				names := make([]string, 0, len(tx.Events))
				for _, ev := range tx.Events {
					names = append(names, ev.Chaincode+"."+ev.Name)
				}
				fmt.Fprintf(env.Stdout, "  %s %s %s %s\n", shortID(tx.ID), tx.Type, tx.Status, strings.Join(names, " "))
			}
		}
		if err := s.Ack(b); err != nil {
			return err
		}
	}
	return nil
}

// streamEnd turns the end of a tail into the command's result: an interrupt is a clean exit.
func streamEnd(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		if errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return nil
	}
	return err
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
