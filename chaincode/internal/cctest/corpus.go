package cctest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Seed is one input of a fuzz target that drives a chaincode through its router, a function of
// (t *testing.T, who uint8, fn string, args string, transient []byte): the caller's index in the
// target's list of identities, the function name, the arguments as [JoinArgs] encodes them and the
// transient data as [JoinTransient] encodes it.
type Seed struct {
	Who       uint8
	Fn        string
	Args      []string
	Transient map[string][]byte
}

// CorpusFile returns the seed in the format of go test's corpus files.
func (s Seed) CorpusFile() []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	fmt.Fprintf(&b, "byte(%q)\n", s.Who)
	fmt.Fprintf(&b, "string(%q)\n", s.Fn)
	fmt.Fprintf(&b, "string(%q)\n", JoinArgs(s.Args...))
	fmt.Fprintf(&b, "[]byte(%q)\n", JoinTransient(s.Transient))
	return b.Bytes()
}

// EnvUpdateCorpus, set to 1, makes [SyncCorpus] write the seed files instead of checking them.
const EnvUpdateCorpus = "HL_UPDATE_CORPUS"

// SyncCorpus keeps dir, a fuzz target's testdata/fuzz/<FuzzName>, in step with seeds: one file
// seed-NNN-<Fn> per seed, which go test runs as a test of the target and go test -fuzz starts from.
// With HL_UPDATE_CORPUS=1 it rewrites the seed files; otherwise it fails tb when one is missing,
// differs or is left over. Other files (inputs the fuzzer found, kept as regression tests) are left
// alone.
func SyncCorpus(tb testing.TB, dir string, seeds []Seed) {
	tb.Helper()
	update := os.Getenv(EnvUpdateCorpus) == "1"
	want := map[string][]byte{}
	for i, s := range seeds {
		want[fmt.Sprintf("seed-%03d-%s", i, fileSafe(s.Fn))] = s.CorpusFile()
	}
	if update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.Fatalf("cctest: %v", err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !update {
		tb.Fatalf("cctest: reading the seed corpus: %v (write it with %s=1)", err, EnvUpdateCorpus)
	}
	var faults []string
	for _, e := range entries {
		name := e.Name()
		if _, ok := want[name]; ok || !strings.HasPrefix(name, "seed-") {
			continue
		}
		if update {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				tb.Fatalf("cctest: %v", err)
			}
			continue
		}
		faults = append(faults, name+" is left over")
	}
	for name, content := range want {
		path := filepath.Join(dir, name)
		if update {
			if err := os.WriteFile(path, content, 0o644); err != nil {
				tb.Fatalf("cctest: %v", err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		switch {
		case err != nil:
			faults = append(faults, name+" is missing")
		case !bytes.Equal(got, content):
			faults = append(faults, name+" differs")
		}
	}
	if len(faults) > 0 {
		slices.Sort(faults)
		tb.Fatalf("cctest: the seed corpus in %s is not the seeds' (run the test with %s=1): %s", dir, EnvUpdateCorpus, strings.Join(faults, ", "))
	}
}

// fileSafe keeps the letters and digits of a function name, for a file name.
func fileSafe(fn string) string {
	out := strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, fn)
	if out == "" || len(out) > 40 {
		return "x"
	}
	return out
}
