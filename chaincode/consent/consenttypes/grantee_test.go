package consenttypes_test

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/stretchr/testify/require"
)

func TestParseGrantee(t *testing.T) {
	valid := []struct {
		name string
		in   string
		want consenttypes.Grantee
	}{
		{"a whole organisation is its MSP id", "HospitalMSP", consenttypes.Grantee{MSPID: "HospitalMSP"}},
		{"a role within an organisation", "InsurerMSP/insurer", consenttypes.Grantee{MSPID: "InsurerMSP", Role: "insurer"}},
		{"one individual", "HospitalMSP/provider/1003000126", consenttypes.Grantee{MSPID: "HospitalMSP", Role: "provider", Subject: "1003000126"}},
		{"one individual in any role", "Org1MSP/*/AUD-0001", consenttypes.Grantee{MSPID: "Org1MSP", Role: "*", Subject: "AUD-0001"}},
	}
	for _, tc := range valid {
		t.Run(tc.name+" parses and prints back", func(t *testing.T) {
			g, err := consenttypes.ParseGrantee(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, g)
			require.Equal(t, tc.in, g.String())
		})
	}
	invalid := []struct {
		name string
		in   string
	}{
		{"an empty grantee", ""},
		{"an MSP id with a space", "Hospital MSP"},
		{"an unknown role", "HospitalMSP/surgeon"},
		{"an empty role", "HospitalMSP/"},
		{"a wildcard role without a subject", "HospitalMSP/*"},
		{"a malformed subject", "HospitalMSP/provider/bad subject"},
		{"an empty subject", "HospitalMSP/provider/"},
		{"too many parts", "HospitalMSP/provider/1/2"},
	}
	for _, tc := range invalid {
		t.Run(tc.name+" is an invalid argument", func(t *testing.T) {
			_, err := consenttypes.ParseGrantee(tc.in)
			require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument})
		})
	}
}

func TestGranteeCovers(t *testing.T) {
	provider1 := consenttypes.Grantee{MSPID: "HospitalMSP", Role: "provider", Subject: "1003000126"}
	tests := []struct {
		name    string
		consent string
		request consenttypes.Grantee
		want    bool
	}{
		{"an organisation-wide consent covers an individual of that organisation", "HospitalMSP", provider1, true},
		{"an organisation-wide consent covers the organisation itself", "InsurerMSP", consenttypes.Grantee{MSPID: "InsurerMSP"}, true},
		{"a consent for another organisation covers nobody here", "InsurerMSP", provider1, false},
		{"a role consent covers an individual in that role", "HospitalMSP/provider", provider1, true},
		{"a role consent does not cover another role", "HospitalMSP/pharmacist", provider1, false},
		{"a role consent does not cover a request for the whole organisation", "HospitalMSP/provider", consenttypes.Grantee{MSPID: "HospitalMSP"}, false},
		{"an individual consent covers that individual", "HospitalMSP/provider/1003000126", provider1, true},
		{"an individual consent does not cover a colleague", "HospitalMSP/provider/1003000134", provider1, false},
		{"an any-role individual consent covers the individual in any role", "HospitalMSP/*/1003000126", provider1, true},
		{"an any-role individual consent does not cover the organisation", "HospitalMSP/*/1003000126", consenttypes.Grantee{MSPID: "HospitalMSP"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := consenttypes.ParseGrantee(tc.consent)
			require.NoError(t, err)
			require.Equal(t, tc.want, g.Covers(tc.request))
		})
	}
}
