package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/internal/bench"
)

// netFlags are the flags that find the network and shape the calls, shared by run, matrix and tune.
type netFlags struct {
	profiles  string
	netdir    string
	valueSize int
	retries   int
	quiet     bool
}

func (f *netFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.profiles, "profiles", "", "the network's profiles folder (default $HEALTHLEDGER_NETWORK, $HL_NETWORK_DIR/profiles or .network/profiles)")
	fs.StringVar(&f.netdir, "netdir", "", "the network's state folder, whose pids/ name the processes to measure (default $HL_NETWORK_DIR, or the folder above -profiles)")
	fs.IntVar(&f.valueSize, "value-size", 100, "bytes per baseline value")
	fs.IntVar(&f.retries, "retries", -1, "SDK attempts per call: -1 the SDK's default retry policy; 0 or 1 retries off, every failure counted; more: that many attempts (retries are counted either way)")
	fs.BoolVar(&f.quiet, "q", false, "no progress lines on stderr")
}

// profilesDir resolves -profiles.
func (f *netFlags) profilesDir() string {
	switch {
	case f.profiles != "":
		return f.profiles
	case os.Getenv("HEALTHLEDGER_NETWORK") != "":
		return os.Getenv("HEALTHLEDGER_NETWORK")
	case os.Getenv("HL_NETWORK_DIR") != "":
		return filepath.Join(os.Getenv("HL_NETWORK_DIR"), "profiles")
	}
	return filepath.Join(".network", "profiles")
}

// pidDir resolves -netdir to the folder of pid files, "" when there is none to read.
func (f *netFlags) pidDir(profiles string) string {
	dir := f.netdir
	if dir == "" {
		dir = os.Getenv("HL_NETWORK_DIR")
	}
	if dir == "" {
		dir = filepath.Dir(filepath.Clean(profiles))
	}
	pids := filepath.Join(dir, "pids")
	if st, err := os.Stat(pids); err != nil || !st.IsDir() {
		return ""
	}
	return pids
}

// open loads the network and returns an environment over it.
func (f *netFlags) open(stderr io.Writer) (*bench.Env, string, error) {
	if f.valueSize < 1 {
		return nil, "", fmt.Errorf("-value-size must be at least 1")
	}
	if f.retries < -1 {
		return nil, "", fmt.Errorf("-retries must be -1 (the SDK's default), 0 or 1 (off), or a number of attempts; not %d", f.retries)
	}
	profiles := f.profilesDir()
	net, err := sdk.LoadNetwork(profiles)
	if err != nil {
		return nil, "", fmt.Errorf("loading the network (is it up? set -profiles): %w", err)
	}
	env := bench.NewEnv(net)
	env.ValueSize = f.valueSize
	switch {
	case f.retries == -1:
		p := sdk.DefaultRetryPolicy()
		env.Retry = &p
	case f.retries > 1:
		p := sdk.DefaultRetryPolicy()
		p.MaxAttempts = f.retries
		env.Retry = &p
	}
	if !f.quiet {
		env.Logf = func(format string, args ...any) {
			fmt.Fprintf(stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
		}
	}
	return env, f.pidDir(profiles), nil
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hlbench run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		nf       netFlags
		cfg      bench.Config
		duration time.Duration
		warmup   time.Duration
		timeout  time.Duration
		jsonOut  bool
		outFile  string
		records  int
	)
	nf.register(fs)
	fs.StringVar(&cfg.Workload, "w", bench.BaselineWrite, "the workload ('hlbench list' shows them)")
	fs.IntVar(&cfg.Concurrency, "c", 8, "workers (closed loop) or most operations in flight (open loop)")
	fs.IntVar(&cfg.Count, "n", 0, "measured operations (instead of -d)")
	fs.DurationVar(&duration, "d", 0, "length of the measurement (default 10s unless -n is given)")
	fs.DurationVar(&warmup, "warmup", time.Second, "unmeasured operations before the measurement")
	fs.Float64Var(&cfg.Rate, "rate", 0, "operations started per second (0: as fast as the workers go)")
	fs.BoolVar(&cfg.OpenLoop, "open", false, "open loop: start operations on the -rate schedule whether earlier ones finished or not")
	fs.DurationVar(&timeout, "timeout", time.Minute, "bound on one operation")
	fs.BoolVar(&jsonOut, "json", false, "write the result as JSON on stdout instead of text")
	fs.StringVar(&outFile, "o", "", "also write the result as JSON to this file")
	fs.IntVar(&records, "records", 0, "scaling workloads: records of other patients or batches to have on the ledger first")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hlbench run: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if cfg.Count == 0 && duration == 0 {
		duration = 10 * time.Second
	}
	cfg.Duration, cfg.Warmup, cfg.OpTimeout = bench.Duration(duration), bench.Duration(warmup), bench.Duration(timeout)
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "hlbench run: %v\n", err)
		return errUsage
	}
	spec, err := bench.Workloads().Get(cfg.Workload)
	if err != nil {
		return err
	}
	env, pids, err := nf.open(stderr)
	if err != nil {
		return err
	}
	defer func() { _ = env.Close() }()
	env.Records = records
	res, err := bench.Run(ctx, env, spec, cfg, bench.RunOptions{PIDDir: pids})
	if err != nil {
		return err
	}
	if outFile != "" {
		if err := writeJSON(outFile, res); err != nil {
			return err
		}
	}
	if jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return bench.WriteText(stdout, res)
}

func cmdList(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hlbench list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tCHAINCODE\tKIND\tWHAT ONE OPERATION DOES")
	for _, s := range bench.Workloads().All() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Chaincode, s.Kind, s.Summary)
	}
	return tw.Flush()
}

// writeJSON writes v, indented, to path.
func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	return nil
}

// usageErr keeps -h quiet and turns a flag error into errUsage (the flag package printed it).
func usageErr(err error) error {
	if err == flag.ErrHelp {
		return err
	}
	return errUsage
}
