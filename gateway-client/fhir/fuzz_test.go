package fhir_test

import (
	"testing"

	"github.com/healthledger/healthledger/gateway-client/fhir"
)

// FuzzParse835 feeds Parse835 and Check arbitrary text: they answer or fail, never panic, and a
// document that Remittance835 wrote always balances.
func FuzzParse835(f *testing.F) {
	good, err := fhir.Remittance835(paidClaim(), fhir.X12Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:120])
	f.Add("ISA" + string(make([]byte, 103)))
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		r, err := fhir.Parse835(text)
		if err != nil {
			return
		}
		_ = r.Check()
		if text == good && r.Check() != nil {
			t.Fatalf("the written 835 does not balance: %v", r.Check())
		}
	})
}
