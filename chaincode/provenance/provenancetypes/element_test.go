package provenancetypes_test

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

func TestParseElementString(t *testing.T) {
	want := provenancetypes.ProductIdentifier{GTIN: "00614141000418", Serial: "S000001", Lot: "LOT-A1", Expiry: "2027-06-30"}
	good := map[string]string{
		"the human-readable form":              "(01)00614141000418(17)270630(10)LOT-A1(21)S000001",
		"the human-readable form reordered":    "(21)S000001(10)LOT-A1(01)00614141000418(17)270630",
		"a scanned DataMatrix":                 "]d2010061414100041817270630" + "10LOT-A1\x1d21S000001",
		"a scan with the serial in the middle": "01006141410004182" + "1S000001\x1d17270630" + "10LOT-A1",
		"expiry day 00 as the month's end":     "(01)00614141000418(17)270600(10)LOT-A1(21)S000001",
	}
	for name, in := range good {
		t.Run(name+" is read", func(t *testing.T) {
			got, err := provenancetypes.ParseElementString(in)
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
	bad := map[string]string{
		"a missing serial":             "(01)00614141000418(17)270630(10)LOT-A1",
		"a repeated AI":                "(01)00614141000418(17)270630(10)LOT-A1(21)S1(21)S2",
		"an unknown AI":                "(01)00614141000418(17)270630(10)LOT-A1(21)S1(99)X",
		"a bad check digit":            "(01)00614141000419(17)270630(10)LOT-A1(21)S1",
		"a truncated GTIN":             "0100614141",
		"an expiry that is not YYMMDD": "(01)00614141000418(17)2027-06-30(10)LOT-A1(21)S1",
		"an unclosed AI":               "(01",
	}
	for name, in := range bad {
		t.Run(name+" is refused", func(t *testing.T) {
			_, err := provenancetypes.ParseElementString(in)
			require.ErrorIs(t, err, provenancetypes.ErrInvalid)
		})
	}
}
