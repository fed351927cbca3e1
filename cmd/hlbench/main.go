// Command hlbench is healthledger's load generator. It drives one workload (a baseline write or read,
// a consent grant, a CheckAccess ...) through the SDK against a running network and reports committed
// transactions per second, latency percentiles, errors by code, and the CPU and memory of the network's
// processes during the run. `hlbench matrix` runs the standard matrix and `hlbench report` turns its
// results into docs/benchmarks.md.
//
//	hlbench run -w baseline-write -c 16 -d 10s            closed loop, as fast as 16 workers go
//	hlbench run -w consent-checkaccess -c 8 -n 5000       a fixed count
//	hlbench run -w baseline-write -rate 200 -open -d 10s  open loop at 200 ops/s
//	hlbench list                                          the workloads
//	hlbench matrix -o results.json                        the standard matrix on one network
//	hlbench tune -o tuning.json                           baseline write latency/throughput by concurrency
//	hlbench sweep -w baseline-write,consent-grant -c 8,24,48 -d 10s -o sweep.json   each workload at each concurrency
//	hlbench chart -sweep sweep.json -svg docs/bench-sweep.svg                       its throughput-latency chart
//	hlbench report -matrix results.json -tuning t1.json -tuning t2.json -sweep sweep.json -o docs/benchmarks.md
//
// The network is found through -profiles (default $HEALTHLEDGER_NETWORK, else $HL_NETWORK_DIR/profiles,
// else .network/profiles); its processes through -netdir (default $HL_NETWORK_DIR, else the folder
// above the profiles when it holds pids/).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errUsage marks a command line that cannot be run; its message has been printed.
var errUsage = errors.New("usage")

const usage = `usage: hlbench <command> [flags]

commands:
  run      drive one workload and report (the default when the first argument is a flag)
  list     list the workloads
  matrix   run the standard matrix on one network and write its results as JSON
  tune     measure baseline-write latency and throughput at several concurrencies
  sweep    run workloads at several concurrencies each: throughput, latency, failures, retries
  chart    draw a sweep's throughput-latency chart (SVG) and its section of the page
  report   render matrix, tuning and sweep results as docs/benchmarks.md

'hlbench <command> -h' lists a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "run":
		err = cmdRun(ctx, args, stdout, stderr)
	case "list":
		err = cmdList(args, stdout, stderr)
	case "matrix":
		err = cmdMatrix(ctx, args, stdout, stderr)
	case "tune":
		err = cmdTune(ctx, args, stdout, stderr)
	case "sweep":
		err = cmdSweep(ctx, args, stdout, stderr)
	case "chart":
		err = cmdChart(args, stdout, stderr)
	case "report":
		err = cmdReport(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "hlbench: unknown command %q\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintln(stderr, "hlbench:", err)
	return 1
}
