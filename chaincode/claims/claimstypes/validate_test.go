package claimstypes

import (
	"github.com/healthledger/healthledger/chaincode/wire"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testNonce = "0123456789abcdef0123456789abcdef"
	testGTIN  = "00614141000012"
	today     = "2025-01-01"
)

func requireInvalid(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument})
}

func TestICD10Codes(t *testing.T) {
	valid := map[string]string{
		"E11.9":    "E11.9",
		"e119":     "E11.9",
		"S72.001A": "S72.001A",
		"C4A.0":    "C4A.0",
		"I10":      "I10",
		"U07.1":    "U07.1",
		" z0000 ":  "Z00.00",
	}
	for in, want := range valid {
		t.Run("accepts "+in, func(t *testing.T) {
			got, ok := NormalizeICD10(in)
			require.True(t, ok)
			assert.Equal(t, want, got)
		})
	}
	for _, in := range []string{"", "11.9", "E1", "EE1.9", "E11.12345", "E11.", "E11-9", "E1.19", "E11.9.1"} {
		t.Run("refuses "+in, func(t *testing.T) {
			_, ok := NormalizeICD10(in)
			assert.False(t, ok)
		})
	}
}

func TestServiceCodes(t *testing.T) {
	valid := []struct {
		in, want string
		kind     CodeKind
	}{
		{"99213", "99213", CodeCPT},
		{"0001F", "0001F", CodeCPT},
		{"0075t", "0075T", CodeCPT},
		{"J3490", "J3490", CodeHCPCS},
		{"j3490", "J3490", CodeHCPCS},
		{"00002322730", "00002322730", CodeNDC},
		{"0002-3227-30", "00002322730", CodeNDC},
		{"12345-678-90", "12345067890", CodeNDC},
		{"12345-6789-1", "12345678901", CodeNDC},
		{"12345-6789-01", "12345678901", CodeNDC},
		{testGTIN, testGTIN, CodeGTIN},
	}
	for _, tc := range valid {
		t.Run("accepts "+tc.in+" as "+string(tc.kind), func(t *testing.T) {
			got, kind, ok := NormalizeServiceCode(tc.in)
			require.True(t, ok)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.kind, kind)
		})
	}
	for _, in := range []string{"", "9921", "992130", "ABCDE", "JJ349", "0002-3227-3", "123-4567-89", "00614141000013", "0061414100001", "9921A"} {
		t.Run("refuses "+in, func(t *testing.T) {
			_, _, ok := NormalizeServiceCode(in)
			assert.False(t, ok)
		})
	}
}

func validDetails() ClaimDetails {
	return ClaimDetails{
		Diagnoses: []string{"E11.9", "I10"},
		Lines: []ServiceLine{
			{Code: "99213", ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 15_000, DiagnosisPointers: []int{1, 2}},
			{Code: "80053", ServiceDate: "2024-12-01", Quantity: 2, UnitChargeCents: 2_500},
		},
		TotalCents: 20_000,
		Nonce:      testNonce,
	}
}

func validPharmacyDetails() ClaimDetails {
	return ClaimDetails{
		Diagnoses: []string{"E11.9"},
		Lines: []ServiceLine{
			{Code: testGTIN, ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 4_000, Unit: &UnitRef{GTIN: testGTIN, Serial: "SN-001"}},
			{Code: "0002-3227-30", ServiceDate: "2024-12-01", Quantity: 30, UnitChargeCents: 100, Unit: &UnitRef{GTIN: "0614141000012", Serial: "SN-002"}},
		},
		TotalCents: 7_000,
		Nonce:      testNonce,
	}
}

func TestClaimDetailsValidation(t *testing.T) {
	t.Run("accepts a professional claim", func(t *testing.T) {
		require.NoError(t, validDetails().Normalized().Validate(ClaimProfessional, today))
	})
	t.Run("accepts a pharmacy claim and normalizes its codes and units", func(t *testing.T) {
		d := validPharmacyDetails().Normalized()
		require.NoError(t, d.Validate(ClaimPharmacy, today))
		assert.Equal(t, "00002322730", d.Lines[1].Code)
		assert.Equal(t, testGTIN, d.Lines[1].Unit.GTIN)
	})
	t.Run("accepts a service on the transaction's own date", func(t *testing.T) {
		d := validDetails()
		d.Lines[0].ServiceDate = today
		require.NoError(t, d.Normalized().Validate(ClaimProfessional, today))
	})

	cases := []struct {
		name    string
		pharma  bool
		mutate  func(*ClaimDetails)
		message string
	}{
		{"refuses details without a nonce", false, func(d *ClaimDetails) { d.Nonce = "" }, "nonce"},
		{"refuses a short nonce", false, func(d *ClaimDetails) { d.Nonce = "abc" }, "nonce"},
		{"refuses a claim without diagnoses", false, func(d *ClaimDetails) { d.Diagnoses = nil }, "diagnoses"},
		{"refuses more than 12 diagnoses", false, func(d *ClaimDetails) {
			d.Diagnoses = strings.Split("A00 A01 A02 A03 A04 A05 A06 A07 A08 A09 B00 B01 B02", " ")
		}, "diagnoses"},
		{"refuses a malformed ICD-10 code", false, func(d *ClaimDetails) { d.Diagnoses[0] = "E1" }, "ICD-10"},
		{"refuses a diagnosis listed twice", false, func(d *ClaimDetails) { d.Diagnoses[1] = "E119" }, "twice"},
		{"refuses a claim without lines", false, func(d *ClaimDetails) { d.Lines = nil; d.TotalCents = 0 }, "service lines"},
		{"refuses a malformed service code", false, func(d *ClaimDetails) { d.Lines[0].Code = "9921" }, "not a CPT"},
		{"refuses a drug code on a professional claim", false, func(d *ClaimDetails) {
			d.Lines[0].Code = testGTIN
			d.Lines[0].Unit = &UnitRef{GTIN: testGTIN, Serial: "1"}
		}, "pharmacy claim"},
		{"refuses a drug line without its unit", true, func(d *ClaimDetails) { d.Lines[0].Unit = nil }, "must name the dispensed unit"},
		{"refuses a unit on a line that is not a drug", true, func(d *ClaimDetails) { d.Lines[0].Code = "J3490" }, "only a drug line"},
		{"refuses a unit GTIN with a wrong check digit", true, func(d *ClaimDetails) { d.Lines[1].Unit.GTIN = "00614141000013" }, "GTIN"},
		{"refuses a unit serial with a character outside GS1", true, func(d *ClaimDetails) { d.Lines[1].Unit.Serial = "SN 1" }, "serial"},
		{"refuses a GTIN code that differs from its unit", true, func(d *ClaimDetails) { d.Lines[0].Unit.GTIN = "00360002914522" }, "differ"},
		{"refuses the same unit on two lines", true, func(d *ClaimDetails) { d.Lines[1].Unit.Serial = "SN-001" }, "already on line 1"},
		{"refuses a date of service in the future", false, func(d *ClaimDetails) { d.Lines[1].ServiceDate = "2025-01-02" }, "future"},
		{"refuses a date that is not YYYY-MM-DD", false, func(d *ClaimDetails) { d.Lines[1].ServiceDate = "2024-12-1" }, "YYYY-MM-DD"},
		{"refuses an impossible date", false, func(d *ClaimDetails) { d.Lines[1].ServiceDate = "2024-02-30" }, "YYYY-MM-DD"},
		{"refuses a zero quantity", false, func(d *ClaimDetails) { d.Lines[1].Quantity = 0; d.TotalCents = 15_000 }, "quantity"},
		{"refuses a negative charge", false, func(d *ClaimDetails) { d.Lines[1].UnitChargeCents = -2_500; d.TotalCents = 10_000 }, "negative"},
		{"refuses a unit charge above the maximum", false, func(d *ClaimDetails) {
			d.Lines[1].UnitChargeCents = MaxUnitChargeCents + 1
			d.TotalCents = 15_000 + 2*(MaxUnitChargeCents+1)
		}, "above"},
		{"refuses a diagnosis pointer outside the diagnoses", false, func(d *ClaimDetails) { d.Lines[0].DiagnosisPointers = []int{3} }, "pointer"},
		{"refuses a total that is not the sum of the lines", false, func(d *ClaimDetails) { d.TotalCents = 19_999 }, "not the sum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, ct := validDetails(), ClaimProfessional
			if tc.pharma {
				d, ct = validPharmacyDetails(), ClaimPharmacy
			}
			tc.mutate(&d)
			err := d.Normalized().Validate(ct, today)
			requireInvalid(t, err)
			assert.Contains(t, err.Error(), tc.message)
		})
	}
}

func TestHashDetails(t *testing.T) {
	a := validDetails()
	h := HashDetails(a)
	require.Len(t, h, 64)

	t.Run("is the same for two spellings of the same codes", func(t *testing.T) {
		b := validDetails()
		b.Diagnoses[0] = "e119"
		b.Lines[0].DiagnosisPointers = []int{1, 2}
		assert.Equal(t, h, HashDetails(b))
	})
	t.Run("changes with the nonce", func(t *testing.T) {
		b := validDetails()
		b.Nonce = strings.Repeat("f", 32)
		assert.NotEqual(t, h, HashDetails(b))
	})
	t.Run("changes with any amount", func(t *testing.T) {
		b := validDetails()
		b.Lines[1].UnitChargeCents++
		assert.NotEqual(t, h, HashDetails(b))
	})
	t.Run("does not modify its argument", func(t *testing.T) {
		b := validDetails()
		b.Diagnoses[0] = "e119"
		HashDetails(b)
		assert.Equal(t, "e119", b.Diagnoses[0])
	})
}

func validTerms() CoverageTerms {
	return CoverageTerms{
		Member: "pat-7f3a9c21", PlanID: "PPO-GOLD", PeriodStart: "2024-01-01", PeriodEnd: "2024-12-31",
		CoveredCodes:    []string{"99213", "80053", "0002-3227-30"},
		DeductibleCents: 50_000, CoinsuranceBP: 2_000, AnnualLimitCents: 1_000_000,
		FeeSchedule: []FeeScheduleEntry{{Code: "99213", AllowedUnitCents: 12_000}},
		Nonce:       testNonce,
	}
}

func TestCoverageTermsValidation(t *testing.T) {
	t.Run("accepts valid terms and sorts the normalized codes", func(t *testing.T) {
		terms := validTerms().Normalized()
		require.NoError(t, terms.Validate())
		assert.Equal(t, []string{"00002322730", "80053", "99213"}, terms.CoveredCodes)
	})
	t.Run("gives the same hash whatever the order of the codes", func(t *testing.T) {
		a, b := validTerms(), validTerms()
		b.CoveredCodes = []string{"00002322730", "99213", "80053"}
		assert.Equal(t, HashTerms(a), HashTerms(b))
	})
	cases := []struct {
		name   string
		mutate func(*CoverageTerms)
	}{
		{"refuses terms without a nonce", func(c *CoverageTerms) { c.Nonce = "" }},
		{"refuses a malformed member id", func(c *CoverageTerms) { c.Member = "pat 1" }},
		{"refuses a missing plan id", func(c *CoverageTerms) { c.PlanID = "" }},
		{"refuses a malformed period", func(c *CoverageTerms) { c.PeriodStart = "2024/01/01" }},
		{"refuses a period that ends before it starts", func(c *CoverageTerms) { c.PeriodEnd = "2023-12-31" }},
		{"refuses terms without covered codes", func(c *CoverageTerms) { c.CoveredCodes = nil }},
		{"refuses a malformed covered code", func(c *CoverageTerms) { c.CoveredCodes[0] = "9921" }},
		{"refuses a covered code listed twice", func(c *CoverageTerms) { c.CoveredCodes[1] = "99213" }},
		{"refuses a negative deductible", func(c *CoverageTerms) { c.DeductibleCents = -1 }},
		{"refuses a negative annual limit", func(c *CoverageTerms) { c.AnnualLimitCents = -1 }},
		{"refuses coinsurance above 100 percent", func(c *CoverageTerms) { c.CoinsuranceBP = 10_001 }},
		{"refuses coinsurance and a copay together", func(c *CoverageTerms) { c.CopayCents = 2_000 }},
		{"refuses a fee schedule code listed twice", func(c *CoverageTerms) {
			c.FeeSchedule = append(c.FeeSchedule, FeeScheduleEntry{Code: "99213", AllowedUnitCents: 1})
		}},
		{"refuses a negative fee schedule price", func(c *CoverageTerms) { c.FeeSchedule[0].AllowedUnitCents = -1 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			terms := validTerms()
			tc.mutate(&terms)
			requireInvalid(t, terms.Normalized().Validate())
		})
	}
}

func TestClaimSubmissionValidation(t *testing.T) {
	base := ClaimSubmission{ID: "clm-1", Patient: "pat-1", CoverageID: "cov-1"}
	t.Run("defaults the frequency code to an original claim", func(t *testing.T) {
		s := base.Normalized()
		require.NoError(t, s.Validate())
		assert.Equal(t, FrequencyOriginal, s.FrequencyCode)
	})
	t.Run("accepts a replacement naming its original", func(t *testing.T) {
		s := base
		s.FrequencyCode, s.OriginalClaimID = FrequencyReplacement, "clm-0"
		require.NoError(t, s.Normalized().Validate())
	})
	cases := []struct {
		name   string
		mutate func(*ClaimSubmission)
	}{
		{"refuses a malformed claim id", func(s *ClaimSubmission) { s.ID = "-x" }},
		{"refuses a missing patient", func(s *ClaimSubmission) { s.Patient = "" }},
		{"refuses a missing coverage", func(s *ClaimSubmission) { s.CoverageID = "" }},
		{"refuses a replacement without its original", func(s *ClaimSubmission) { s.FrequencyCode = FrequencyReplacement }},
		{"refuses a void without its original", func(s *ClaimSubmission) { s.FrequencyCode = FrequencyVoid }},
		{"refuses an original claim naming an original", func(s *ClaimSubmission) { s.OriginalClaimID = "clm-0" }},
		{"refuses a claim replacing itself", func(s *ClaimSubmission) { s.FrequencyCode, s.OriginalClaimID = FrequencyVoid, s.ID }},
		{"refuses an unsupported frequency code", func(s *ClaimSubmission) { s.FrequencyCode = "2" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			tc.mutate(&s)
			requireInvalid(t, s.Normalized().Validate())
		})
	}
}

func TestDecodeStrict(t *testing.T) {
	var s ClaimSubmission
	require.NoError(t, wire.DecodeStrict("header", []byte(` {"id":"c","patient":"p","coverageId":"v"} `), &s))
	assert.Equal(t, "c", s.ID)
	t.Run("refuses an unknown field", func(t *testing.T) {
		requireInvalid(t, wire.DecodeStrict("header", []byte(`{"id":"c","amount":1}`), &s))
	})
	t.Run("refuses trailing data", func(t *testing.T) {
		requireInvalid(t, wire.DecodeStrict("header", []byte(`{"id":"c"} {"id":"d"}`), &s))
	})
	t.Run("refuses a value of the wrong type", func(t *testing.T) {
		requireInvalid(t, wire.DecodeStrict("header", []byte(`{"id":7}`), &s))
	})
}

func TestPaymentAndReasonValidation(t *testing.T) {
	require.NoError(t, PaymentInput{AmountCents: 0, PaymentRef: "EFT-1"}.Validate())
	requireInvalid(t, PaymentInput{AmountCents: -1, PaymentRef: "EFT-1"}.Validate())
	requireInvalid(t, PaymentInput{AmountCents: 1}.Validate())
	require.NoError(t, CheckReason("need the operative report"))
	requireInvalid(t, CheckReason("  "))
	requireInvalid(t, CheckReason(strings.Repeat("x", MaxReasonLen+1)))
	requireInvalid(t, CheckReason("line\nbreak"))
}

func TestEnums(t *testing.T) {
	for _, s := range Statuses() {
		assert.True(t, s.Valid(), s)
	}
	assert.False(t, Status("lost").Valid())
	assert.True(t, StatusClosed.Final())
	assert.False(t, StatusPaid.Final())
	assert.Len(t, EventNames(), 10)
}
