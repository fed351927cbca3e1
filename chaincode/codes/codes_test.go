package codes_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/stretchr/testify/require"
)

func TestErrorUsesTheWireForm(t *testing.T) {
	err := codes.New(codes.NotFound, "consent %s", "c-17")
	require.Equal(t, "NOT_FOUND: consent c-17", err.Error())
}

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		text    string
		code    codes.Code
		message string
		ok      bool
	}{
		{"a bare code is found", "FORBIDDEN: not yours", codes.Forbidden, "not yours", true},
		{"a code wrapped by the gateway is found", "chaincode response 500, NOT_FOUND: consent c-17", codes.NotFound, "consent c-17", true},
		{"the first code wins", "DUPLICATE: claim cl-1 (CONFLICT: x)", codes.Duplicate, "claim cl-1 (CONFLICT: x)", true},
		{"a longer word is not a code", "XNOT_FOUND: nope", "", "", false},
		{"text without a code is not parsed", "connection refused", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := codes.Parse(tc.text)
			require.Equal(t, tc.ok, ok)
			if !ok {
				return
			}
			require.Equal(t, tc.code, got.Code)
			require.Equal(t, tc.message, got.Message)
		})
	}
}

func TestErrorsIsMatchesTheCode(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", codes.New(codes.Conflict, "version 3"))
	require.True(t, errors.Is(err, &codes.Error{Code: codes.Conflict}))
	require.False(t, errors.Is(err, &codes.Error{Code: codes.NotFound}))
}

func TestEveryCodeIsValid(t *testing.T) {
	for _, c := range codes.All() {
		require.True(t, c.Valid(), c)
	}
	require.False(t, codes.Code("NOPE").Valid())
}
