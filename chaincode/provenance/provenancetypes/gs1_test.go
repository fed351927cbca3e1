package provenancetypes_test

import (
	"errors"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

func TestNormalizeGTIN(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string
		ok   bool
	}{
		{"a GTIN-14 stays as it is", "00614141000418", "00614141000418", true},
		{"a GTIN-13 is padded to 14 digits", "0614141000418", "00614141000418", true},
		{"a GTIN-12 is padded to 14 digits", "614141000418", "00614141000418", true},
		{"a GTIN-8 is padded to 14 digits", "96385074", "00000096385074", true},
		{"a wrong check digit is refused", "00614141000419", "", false},
		{"letters are refused", "0061414100041A", "", false},
		{"11 digits are refused", "61414100041", "", false},
		{"an empty GTIN is refused", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := provenancetypes.NormalizeGTIN(tc.in)
			if !tc.ok {
				require.ErrorIs(t, err, provenancetypes.ErrInvalid)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestCheckGLN(t *testing.T) {
	for _, gln := range []string{"0614141000005", "0614141000012", "0614141000029"} {
		require.NoError(t, provenancetypes.CheckGLN(gln), gln)
	}
	for _, gln := range []string{"0614141000006", "614141000005", "AUD-0001", ""} {
		require.ErrorIs(t, provenancetypes.CheckGLN(gln), provenancetypes.ErrInvalid, gln)
	}
}

func TestParseDate(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string
		ok   bool
	}{
		{"YYYY-MM-DD is read as it is", "2027-06-30", "2027-06-30", true},
		{"YYMMDD is read in this century", "270615", "2027-06-15", true},
		{"day 00 is the last day of the month", "280200", "2028-02-29", true},
		{"a day that does not exist is refused", "270231", "", false},
		{"month 13 is refused", "271301", "", false},
		{"another layout is refused", "30/06/2027", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := provenancetypes.NormalizeDate(tc.in)
			if !tc.ok {
				require.ErrorIs(t, err, provenancetypes.ErrInvalid)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestCheckSerials(t *testing.T) {
	require.NoError(t, provenancetypes.CheckSerials([]string{"A1", "a-b/c.d", "12345678901234567890"}, 10))
	for name, in := range map[string][]string{
		"an empty list":         {},
		"an empty serial":       {""},
		"a repeated serial":     {"A", "A"},
		"a space":               {"A B"},
		"21 characters":         {"123456789012345678901"},
		"more than the limit":   {"A", "B", "C"},
		"a non-ASCII character": {"Ä1"},
	} {
		t.Run("a list with "+name+" is refused", func(t *testing.T) {
			require.ErrorIs(t, provenancetypes.CheckSerials(in, 2), provenancetypes.ErrInvalid)
		})
	}
}

func TestSensorReadingCelsius(t *testing.T) {
	v := func(f float64) *float64 { return &f }
	c, err := provenancetypes.SensorReading{Value: v(46.4), UOM: provenancetypes.UOMFahrenheit}.Celsius()
	require.NoError(t, err)
	require.InDelta(t, 8.0, c, 1e-9)
	c, err = provenancetypes.SensorReading{Value: v(275.15), UOM: provenancetypes.UOMKelvin}.Celsius()
	require.NoError(t, err)
	require.InDelta(t, 2.0, c, 1e-9)
	_, err = provenancetypes.SensorReading{Value: v(5), UOM: ""}.Celsius()
	require.ErrorIs(t, err, provenancetypes.ErrInvalid)
	_, err = provenancetypes.SensorReading{UOM: provenancetypes.UOMCelsius}.Celsius()
	require.True(t, errors.Is(err, provenancetypes.ErrInvalid))
}

func TestBatchSpecNormalized(t *testing.T) {
	b, err := provenancetypes.BatchSpec{GTIN: "0614141000418", Lot: "L1", ManufacturedOn: "240101", Expiry: "2026-12-31", Quantity: 2, Serials: []string{"A", "B"}}.Normalized()
	require.NoError(t, err)
	require.Equal(t, "00614141000418", b.GTIN)
	require.Equal(t, "2024-01-01", b.ManufacturedOn)
	_, err = provenancetypes.BatchSpec{GTIN: "0614141000418", Lot: "L1", ManufacturedOn: "2026-12-31", Expiry: "2024-01-01", Quantity: 2}.Normalized()
	require.ErrorIs(t, err, provenancetypes.ErrInvalid)
	zero := time.Time{}
	_, err = provenancetypes.BatchSpec{GTIN: "0614141000418", Lot: "L1", ManufacturedOn: "2024-01-01", Expiry: "2026-01-01", Quantity: 2,
		EventContext: provenancetypes.EventContext{EventTime: &zero}}.Normalized()
	require.ErrorIs(t, err, provenancetypes.ErrInvalid)
}

func TestBatchStatusTags(t *testing.T) {
	b := &provenancetypes.Batch{}
	require.Equal(t, []string{provenancetypes.BatchActive}, b.StatusTags())
	b.Excursion, b.Recalled = true, true
	require.Equal(t, []string{provenancetypes.BatchRecalled, provenancetypes.BatchExcursion}, b.StatusTags())
	require.Equal(t, provenancetypes.BatchRecalled, b.HeadlineStatus())
}

func TestWithCheckDigit(t *testing.T) {
	for body, want := range map[string]string{
		"0061414100041": "00614141000418", // GS1's own example GTIN
		"061414100000":  "0614141000005",  // a GLN
		"1061414100041": "10614141000415",
	} {
		got, err := provenancetypes.WithCheckDigit(body)
		require.NoError(t, err)
		require.Equal(t, want, got)
		_, err = provenancetypes.NormalizeGTIN(got)
		if len(got) == 14 {
			require.NoError(t, err)
		}
	}
	for _, bad := range []string{"", "06141410000x", "-1"} {
		_, err := provenancetypes.WithCheckDigit(bad)
		require.ErrorIs(t, err, provenancetypes.ErrInvalid, bad)
	}
}
