package wire_test

import (
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/stretchr/testify/require"
)

func TestIDShapes(t *testing.T) {
	for _, tc := range []struct {
		in      string
		isID    bool
		isMSPID bool
	}{
		{"c-17", true, true},
		{"A.b_c:d-9", true, false},
		{"HospitalMSP", true, true},
		{"", false, false},
		{"-lead", false, false},
		{"has space", false, false},
		{"Org1MSP/provider", false, false},
		{"x123456789012345678901234567890123456789012345678901234567890123", true, true},
		{"x1234567890123456789012345678901234567890123456789012345678901234", false, false},
		{"x" + string(make([]byte, 64)), false, false},
		{"ünï", false, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			require.Equal(t, tc.isID, wire.ValidID(tc.in))
			require.Equal(t, tc.isMSPID, wire.ValidMSPID(tc.in))
			if !tc.isID {
				require.ErrorIs(t, wire.CheckID("id", tc.in), &codes.Error{Code: codes.InvalidArgument})
			}
			if !tc.isMSPID {
				require.ErrorIs(t, wire.CheckMSPID(tc.in), &codes.Error{Code: codes.InvalidArgument})
			}
		})
	}
}

func TestRolesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range wire.Roles() {
		require.False(t, seen[r], r)
		seen[r] = true
	}
	require.Len(t, seen, 7)
}

func TestAMalformedIDIsQuotedAtMost64BytesLong(t *testing.T) {
	tests := []struct {
		name, id, want string
	}{
		{"a short id whole", "bad id", `"bad id"`},
		{"64 bytes whole", strings.Repeat("a", 63) + "!", `"` + strings.Repeat("a", 63) + `!"`},
		{"a long one cut", strings.Repeat("a", 63) + "!" + strings.Repeat("b", 10000), `"` + strings.Repeat("a", 63) + `!"...`},
		{"cut before a rune, never inside it", strings.Repeat("a", 63) + "é" + "zz", `"` + strings.Repeat("a", 63) + `"...`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, wire.Quote(tc.id))
			err := wire.CheckID("record id", tc.id)
			require.EqualError(t, err, "INVALID_ARGUMENT: record id "+tc.want+" is malformed: want 1-64 of [A-Za-z0-9._:-], starting with a letter or digit")
		})
	}
}
