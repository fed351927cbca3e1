// Package procstat measures the CPU time and the resident memory of the Fabric and chaincode
// processes during a benchmark run, from /proc/<pid>/stat and /proc/<pid>/status, for the processes
// that network.sh records in $HL_NETWORK_DIR/pids/*.pid. It also measures the whole host (/proc/stat)
// and the benchmark process itself, because on a shared machine the load of others matters.
//
// CPU is reported as a percentage of one core: 150 means one and a half cores busy on average.
package procstat

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Process is one process to watch.
type Process struct {
	Name  string `json:"name"`
	PID   int    `json:"pid"`
	Group string `json:"group"`
}

// GroupOf classifies a process by the name network.sh gave it: orderer1 -> orderer,
// peer0-hospital -> peer, ca-hospital -> ca, cc-consent-hospital -> chaincode:consent.
func GroupOf(name string) string {
	switch {
	case strings.HasPrefix(name, "orderer"):
		return "orderer"
	case strings.HasPrefix(name, "peer"):
		return "peer"
	case strings.HasPrefix(name, "ca-"):
		return "ca"
	case strings.HasPrefix(name, "cc-"):
		rest := strings.TrimPrefix(name, "cc-")
		if i := strings.LastIndex(rest, "-"); i > 0 {
			rest = rest[:i]
		}
		return "chaincode:" + rest
	}
	return "other"
}

// FromPIDDir reads the processes recorded in dir (files NAME.pid holding a pid). A missing dir gives
// no process and no error: the network may not be ours to watch.
func FromPIDDir(dir string) ([]Process, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.pid"))
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	procs := make([]Process, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("%s does not hold a pid: %q", f, strings.TrimSpace(string(raw)))
		}
		name := strings.TrimSuffix(filepath.Base(f), ".pid")
		procs = append(procs, Process{Name: name, PID: pid, Group: GroupOf(name)})
	}
	slices.SortFunc(procs, func(a, b Process) int { return cmp.Compare(a.Name, b.Name) })
	return procs, nil
}

// Snapshot is what /proc says about a process at one moment.
type Snapshot struct {
	// CPUTicks is user + system time in clock ticks.
	CPUTicks uint64
	// StartTicks is the process start time since boot, in clock ticks: it tells a reused pid apart.
	StartTicks uint64
	// RSSBytes is the resident set size (VmRSS).
	RSSBytes uint64
}

// ErrGone is returned by Read for a process that no longer exists.
var ErrGone = errors.New("process gone")

// Read reads the snapshot of pid under procRoot (normally /proc).
func Read(procRoot string, pid int) (Snapshot, error) {
	dir := filepath.Join(procRoot, strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Snapshot{}, fmt.Errorf("pid %d: %w", pid, ErrGone)
		}
		return Snapshot{}, fmt.Errorf("reading the stat of pid %d: %w", pid, err)
	}
	s, err := ParseStat(stat)
	if err != nil {
		return Snapshot{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Snapshot{}, fmt.Errorf("pid %d: %w", pid, ErrGone)
		}
		return Snapshot{}, fmt.Errorf("reading the status of pid %d: %w", pid, err)
	}
	s.RSSBytes, err = ParseRSS(status)
	if err != nil {
		return Snapshot{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	return s, nil
}

// ParseStat reads utime, stime and starttime from the contents of /proc/<pid>/stat. The command
// name (field 2) may hold spaces and parentheses, so fields are counted from the last ')'.
func ParseStat(data []byte) (Snapshot, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return Snapshot{}, errors.New("malformed stat: no command name")
	}
	// After ")": field 3 (state) is index 0, so field N is index N-3.
	fields := strings.Fields(string(data[end+1:]))
	const utime, stime, starttime = 14 - 3, 15 - 3, 22 - 3
	if len(fields) <= starttime {
		return Snapshot{}, fmt.Errorf("malformed stat: %d fields after the command name", len(fields))
	}
	var vals [3]uint64
	for i, idx := range []int{utime, stime, starttime} {
		v, err := strconv.ParseUint(fields[idx], 10, 64)
		if err != nil {
			return Snapshot{}, fmt.Errorf("malformed stat field %d: %w", idx+3, err)
		}
		vals[i] = v
	}
	return Snapshot{CPUTicks: vals[0] + vals[1], StartTicks: vals[2]}, nil
}

// ParseRSS reads VmRSS from the contents of /proc/<pid>/status. A process without one (a zombie,
// a kernel thread) has 0.
func ParseRSS(data []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("malformed VmRSS line %q", line)
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed VmRSS line %q: %w", line, err)
		}
		return kb * 1024, nil
	}
	return 0, nil
}

// HostCPU is the aggregate line of /proc/stat, in clock ticks.
type HostCPU struct {
	Busy, Total uint64
}

// ParseHostCPU reads the aggregate "cpu" line of /proc/stat: busy is everything but idle and iowait.
func ParseHostCPU(data []byte) (HostCPU, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 || f[0] != "cpu" {
			continue
		}
		var h HostCPU
		for i, s := range f[1:] {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return HostCPU{}, fmt.Errorf("malformed /proc/stat cpu line: %w", err)
			}
			if i >= 8 { // guest and guest_nice are already counted in user and nice
				break
			}
			h.Total += v
			if i != 3 && i != 4 { // idle, iowait
				h.Busy += v
			}
		}
		return h, nil
	}
	return HostCPU{}, errors.New("no cpu line in /proc/stat")
}

// ClockTicks returns the kernel's USER_HZ, read from the auxiliary vector (AT_CLKTCK) of procRoot/self,
// or 100, its value on every mainstream Linux, when that cannot be read.
func ClockTicks(procRoot string) uint64 {
	raw, err := os.ReadFile(filepath.Join(procRoot, "self", "auxv"))
	if err != nil {
		return 100
	}
	return clockTicksFromAuxv(raw)
}

func clockTicksFromAuxv(raw []byte) uint64 {
	const atClkTck = 17
	for i := 0; i+16 <= len(raw); i += 16 {
		key := binary.NativeEndian.Uint64(raw[i:])
		val := binary.NativeEndian.Uint64(raw[i+8:])
		if key == 0 {
			break
		}
		if key == atClkTck && val > 0 {
			return val
		}
	}
	return 100
}

// Usage is what a sampler measured.
type Usage struct {
	Seconds float64 `json:"seconds"`
	// Processes lists every watched process; Groups sums them by group (orderer, peer, ca,
	// chaincode:NAME); Network sums every watched process.
	Processes []ProcessUsage `json:"processes"`
	Groups    []ProcessUsage `json:"groups"`
	Network   ProcessUsage   `json:"network"`
	// Self is the benchmark process (the client side of every call).
	Self ProcessUsage `json:"self"`
	// HostCPUPercent is how busy the whole machine was (every process, ours or not).
	HostCPUPercent float64 `json:"hostCpuPercent"`
	Cores          int     `json:"cores"`
}

// ProcessUsage is the CPU and memory of one process, or a sum of processes.
type ProcessUsage struct {
	Name  string `json:"name"`
	Group string `json:"group,omitempty"`
	PID   int    `json:"pid,omitempty"`
	// Processes is how many processes are summed (1 for one process).
	Processes int `json:"processes"`
	// CPUPercent is the CPU time used during the window over its length, in percent of one core.
	CPUPercent float64 `json:"cpuPercent"`
	CPUSeconds float64 `json:"cpuSeconds"`
	// RSSMeanMB and RSSMaxMB are the mean and the largest resident set size seen, in MiB. For a sum,
	// the sum of the members' means and of their maxima.
	RSSMeanMB float64 `json:"rssMeanMB"`
	RSSMaxMB  float64 `json:"rssMaxMB"`
	// Note says when the measurement is incomplete (the process ended or restarted).
	Note string `json:"note,omitempty"`
}

type watched struct {
	proc    Process
	first   Snapshot
	last    Snapshot
	rssSum  uint64
	rssMax  uint64
	samples int
	note    string
}

// Sampler samples a set of processes from Start until Stop. Create it with Start.
type Sampler struct {
	procRoot string
	hz       uint64
	cores    int
	t0       time.Time
	self     watched
	host0    HostCPU
	hostErr  error
	stop     chan struct{}
	done     chan struct{}

	mu    sync.Mutex
	procs []*watched
}

// Start takes the first snapshot of every process (and of the host and of this process) and then
// samples their memory every interval until Stop. Processes that cannot be read are kept and marked.
func Start(procRoot string, procs []Process, interval time.Duration, cores int) *Sampler {
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	s := &Sampler{
		procRoot: procRoot,
		hz:       ClockTicks(procRoot),
		cores:    cores,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for _, p := range procs {
		w := &watched{proc: p}
		if snap, err := Read(procRoot, p.PID); err != nil {
			w.note = "not readable at start: " + err.Error()
		} else {
			w.first, w.last = snap, snap
			w.add(snap)
		}
		s.procs = append(s.procs, w)
	}
	s.self.proc = Process{Name: "hlbench", PID: os.Getpid(), Group: "client"}
	if snap, err := Read(procRoot, os.Getpid()); err == nil {
		s.self.first, s.self.last = snap, snap
		s.self.add(snap)
	}
	s.host0, s.hostErr = readHost(procRoot)
	s.t0 = time.Now()
	go s.loop(interval)
	return s
}

func readHost(procRoot string) (HostCPU, error) {
	raw, err := os.ReadFile(filepath.Join(procRoot, "stat"))
	if err != nil {
		return HostCPU{}, fmt.Errorf("reading /proc/stat: %w", err)
	}
	return ParseHostCPU(raw)
}

func (w *watched) add(s Snapshot) {
	w.rssSum += s.RSSBytes
	w.rssMax = max(w.rssMax, s.RSSBytes)
	w.samples++
}

// sample updates w from a new snapshot, unless the process is gone or is another process now.
func (s *Sampler) sample(w *watched) {
	if w.samples == 0 || w.note != "" {
		return
	}
	snap, err := Read(s.procRoot, w.proc.PID)
	switch {
	case err != nil:
		w.note = "ended during the run"
	case snap.StartTicks != w.first.StartTicks:
		w.note = "restarted during the run (pid reused)"
	default:
		w.last = snap
		w.add(snap)
	}
}

func (s *Sampler) loop(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			for _, w := range s.procs {
				s.sample(w)
			}
			s.sample(&s.self)
			s.mu.Unlock()
		}
	}
}

// Stop takes the last snapshot and returns the usage over the whole window. Call it once.
func (s *Sampler) Stop() Usage {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.procs {
		s.sample(w)
	}
	s.sample(&s.self)
	elapsed := time.Since(s.t0)
	u := Usage{
		Seconds:   elapsed.Seconds(),
		Processes: make([]ProcessUsage, 0, len(s.procs)),
		Groups:    []ProcessUsage{},
		Cores:     s.cores,
	}
	groups := map[string]*ProcessUsage{}
	u.Network = ProcessUsage{Name: "network"}
	for _, w := range s.procs {
		pu := s.usageOf(w, elapsed)
		u.Processes = append(u.Processes, pu)
		g, ok := groups[w.proc.Group]
		if !ok {
			g = &ProcessUsage{Name: w.proc.Group}
			groups[w.proc.Group] = g
		}
		g.addUp(pu)
		u.Network.addUp(pu)
	}
	for _, g := range groups {
		u.Groups = append(u.Groups, *g)
	}
	slices.SortFunc(u.Groups, func(a, b ProcessUsage) int { return cmp.Compare(a.Name, b.Name) })
	u.Self = s.usageOf(&s.self, elapsed)
	if s.hostErr == nil {
		if h1, err := readHost(s.procRoot); err == nil && h1.Total > s.host0.Total {
			// (busy ticks / all ticks) over every core, expressed in cores.
			share := float64(h1.Busy-s.host0.Busy) / float64(h1.Total-s.host0.Total)
			u.HostCPUPercent = round1(share * float64(max(s.cores, 1)) * 100)
		}
	}
	return u
}

func (s *Sampler) usageOf(w *watched, elapsed time.Duration) ProcessUsage {
	pu := ProcessUsage{Name: w.proc.Name, Group: w.proc.Group, PID: w.proc.PID, Processes: 1, Note: w.note}
	if w.samples == 0 {
		return pu
	}
	cpu := float64(w.last.CPUTicks-w.first.CPUTicks) / float64(s.hz)
	pu.CPUSeconds = round3(cpu)
	if elapsed > 0 {
		pu.CPUPercent = round1(cpu / elapsed.Seconds() * 100)
	}
	pu.RSSMeanMB = round1(float64(w.rssSum) / float64(w.samples) / (1 << 20))
	pu.RSSMaxMB = round1(float64(w.rssMax) / (1 << 20))
	return pu
}

func (g *ProcessUsage) addUp(p ProcessUsage) {
	g.Processes++
	g.CPUSeconds = round3(g.CPUSeconds + p.CPUSeconds)
	g.CPUPercent = round1(g.CPUPercent + p.CPUPercent)
	g.RSSMeanMB = round1(g.RSSMeanMB + p.RSSMeanMB)
	g.RSSMaxMB = round1(g.RSSMaxMB + p.RSSMaxMB)
	if p.Note != "" && g.Note == "" {
		g.Note = "incomplete: " + p.Name + " " + p.Note
	}
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }
func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }
