package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad flags are refused before anything is built or written.
func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	cases := map[string][]string{
		"no out":            {"-root", "../../../.."},
		"bad arch":          {"-root", "../../../..", "-arch", "s390x"},
		"unknown chaincode": {"-root", "../../../..", "-chaincodes", "consent,ledger"},
		"bad name":          {"-root", "../../../..", "-chaincodes", "../consent"},
		"stray argument":    {"-root", "../../../..", "extra"},
		"unknown flag":      {"-push"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "images")
			if name != "no out" {
				args = append([]string{"-out", out}, args...)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), "INVALID_ARGUMENT") {
				t.Fatalf("got %v, want INVALID_ARGUMENT", err)
			}
			if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
				t.Fatalf("it made %s", out)
			}
		})
	}
}
