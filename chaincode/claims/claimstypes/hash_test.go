package claimstypes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The hashes are pinned against canonical JSON written out by hand from RFC 8785's rules, and against
// digests computed outside Go (printf '%s' "$canonical" | sha256sum), so a change of encoder, field
// order or escaping cannot slip through as "the same code computes the same value".
func TestHashesArePinnedToHandWrittenCanonicalJSON(t *testing.T) {
	const nonce = "Nonce_0123456789-abcdefghijklmnopqrstuv"
	cases := []struct {
		name      string
		value     any
		hash      func() string
		canonical string
		sha256    string
	}{
		{
			name: "the details hash sorts members, escapes only the quotation mark and keeps < > & raw",
			value: ClaimDetails{
				Diagnoses: []string{"J06.9"},
				Lines: []ServiceLine{{
					Code: "00002322730", ServiceDate: "2024-03-01", Quantity: 30, UnitChargeCents: 125,
					DiagnosisPointers: []int{1}, Unit: &UnitRef{GTIN: "00614141000418", Serial: `A<1&"B>`},
				}},
				TotalCents: 3750,
				Nonce:      nonce,
			},
			hash: func() string {
				// Spelled as a client might: the hash is of the normalized details.
				return HashDetails(ClaimDetails{
					Diagnoses: []string{"j069"},
					Lines: []ServiceLine{{
						Code: "0002-3227-30", ServiceDate: "2024-03-01", Quantity: 30, UnitChargeCents: 125,
						DiagnosisPointers: []int{1}, Unit: &UnitRef{GTIN: "00614141000418", Serial: `A<1&"B>`},
					}},
					TotalCents: 3750,
					Nonce:      nonce,
				})
			},
			canonical: `{"diagnoses":["J06.9"],"lines":[{"code":"00002322730","diagnosisPointers":[1],"quantity":30,` +
				`"serviceDate":"2024-03-01","unit":{"gtin":"00614141000418","serial":"A<1&\"B>"},"unitChargeCents":125}],` +
				`"nonce":"Nonce_0123456789-abcdefghijklmnopqrstuv","totalCents":3750}`,
			sha256: "6ee5a2ae5dc0220d40b0f0d775bd7000d3d642d216133be58249fc5b7c4a72bc",
		},
		{
			name: "the terms hash keeps a zero amount and sorts the covered codes",
			value: CoverageTerms{
				Member: "pat-7f3a9c21", PlanID: "PPO-GOLD", PeriodStart: "2024-01-01", PeriodEnd: "2024-12-31",
				CoveredCodes:    []string{"00002322730", "80053", "99213"},
				DeductibleCents: 50_000, CoinsuranceBP: 2_000, AnnualLimitCents: 1_000_000,
				FeeSchedule: []FeeScheduleEntry{{Code: "99213", AllowedUnitCents: 12_000}},
				Nonce:       nonce,
			},
			hash: func() string {
				return HashTerms(CoverageTerms{
					Member: "pat-7f3a9c21", PlanID: "PPO-GOLD", PeriodStart: "2024-01-01", PeriodEnd: "2024-12-31",
					CoveredCodes:    []string{"99213", "0002-3227-30", "80053"},
					DeductibleCents: 50_000, CoinsuranceBP: 2_000, AnnualLimitCents: 1_000_000,
					FeeSchedule: []FeeScheduleEntry{{Code: "99213", AllowedUnitCents: 12_000}},
					Nonce:       nonce,
				})
			},
			canonical: `{"annualLimitCents":1000000,"coinsuranceBp":2000,"copayCents":0,"coveredCodes":["00002322730","80053","99213"],` +
				`"deductibleCents":50000,"feeSchedule":[{"allowedUnitCents":12000,"code":"99213"}],"member":"pat-7f3a9c21",` +
				`"nonce":"Nonce_0123456789-abcdefghijklmnopqrstuv","periodEnd":"2024-12-31","periodStart":"2024-01-01","planId":"PPO-GOLD"}`,
			sha256: "8ab3daf1e94dbdc986853c4d597fbd0ac8816de073f959cfddb76d9d18f477d9",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			canon, err := CanonicalJSON(tc.value)
			require.NoError(t, err)
			assert.Equal(t, tc.canonical, string(canon))
			sum := sha256.Sum256([]byte(tc.canonical))
			require.Equal(t, tc.sha256, hex.EncodeToString(sum[:]), "the pinned digest is the sha256 of the hand-written bytes")
			assert.Equal(t, tc.sha256, tc.hash())
		})
	}
}

// TestCanonicalJSONFollowsRFC8785 runs the examples of RFC 8785 (sections 3.2.2 and 3.2.3, and the
// structures example of its reference implementation) through CanonicalJSON.
func TestCanonicalJSONFollowsRFC8785(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{
			name: "primitive values are serialized as ECMAScript does (3.2.2)",
			in: `{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
			      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
			      "literals": [null, true, false]}`,
			want: `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
		},
		{
			name: "members are sorted by UTF-16 code units, not by code points (3.2.3)",
			in: `{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
			      "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
			      "\u00f6": "Latin Small Letter O With Diaeresis"}`,
			want: "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\"," +
				"\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
		},
		{
			name: "nested objects are sorted at every level and arrays keep their order",
			in:   `{"1": {"f": {"f": "hi","F": 5} ,"\n": 56.0}, "10": { }, "": "empty", "a": { }, "111": [ {"e": "yes","E": "no" } ], "A": { }}`,
			want: `{"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],"A":{},"a":{}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			require.NoError(t, json.Unmarshal([]byte(tc.in), &v))
			got, err := CanonicalJSON(v)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
}
