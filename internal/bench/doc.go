// Package bench is hlbench's engine: the registry of workloads, the driver that runs one under a
// given load, the standard matrix, and the rendering of its results. It is a package of its own, not
// internal to the command, so that the integration tests can drive it in-process.
//
// # Workloads
//
// A workload is a [Spec]: a name, the chaincode it needs, whether it submits or evaluates (which
// baseline its throughput is divided by), an optional [Target], and a Prepare function that connects,
// preloads what the operations need, and returns the [Op] that the driver calls once per operation.
// A chaincode contributes its workloads through one function (baselineWorkloads, consentWorkloads,
// provenanceWorkloads, claimsWorkloads), and [Workloads] is the one place they are registered.
//
// # Load
//
// [Run] drives a workload as a [Config] says: a closed loop of Concurrency workers, optionally paced
// to a Rate, or an open loop that starts operations on the Rate schedule whatever the earlier ones do
// (latency then counts from the scheduled start); for a Count of operations or a Duration, after an
// unmeasured Warmup. Failures are counted by stable code ([Classify]), never fatal; the measured calls
// run without SDK retries unless [Env].Retry says otherwise. When the network's pid files are known,
// the CPU and memory of its processes are measured over the window.
//
// # The matrix
//
// [RunMatrix] runs the baselines, every domain workload and the scaling queries on one network and
// returns a [MatrixReport]; [Analyze] turns it into ratios and verdicts and [RenderMarkdown] into
// docs/benchmarks.md, with the [TuningReport]s of [RunTuning].
package bench
