package epcis_test

import (
	"encoding/json"
	"fmt"
	"testing"

	pt "github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/epcis"
	"github.com/healthledger/healthledger/gateway-client/epcis/epcisschema"
)

// bigHistory is a batch's custody of n dispenses, each naming one unit.
func bigHistory(n int) []pt.Event {
	out := make([]pt.Event, n)
	for i := range out {
		out[i] = event(pt.EventDispensed, fmt.Sprintf("tx%06d", i), fmt.Sprintf("S%06d", i))
	}
	return out
}

// BenchmarkExport1000Events converts and marshals a custody of 1,000 events.
func BenchmarkExport1000Events(b *testing.B) {
	events := bigHistory(1000)
	for b.Loop() {
		doc, err := epcis.FromBatch(batch, events, created)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate1000Events validates the document of a custody of 1,000 events.
func BenchmarkValidate1000Events(b *testing.B) {
	doc, err := epcis.FromBatch(batch, bigHistory(1000), created)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	v, err := epcisschema.New()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if err := v.Validate(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileSchema compiles the vendored schema.
func BenchmarkCompileSchema(b *testing.B) {
	for b.Loop() {
		if _, err := epcisschema.New(); err != nil {
			b.Fatal(err)
		}
	}
}
