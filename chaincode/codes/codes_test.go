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

func TestOfReadsTheCodeOfAnyError(t *testing.T) {
	cause := errors.New("disk on fire")
	cases := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"nil has no code", nil, ""},
		{"a plain error has none", errors.New("boom"), ""},
		{"an *Error has its own", codes.New(codes.NotFound, "consent c-1"), codes.NotFound},
		{"a wrapped *Error keeps its code", fmt.Errorf("reading: %w", codes.New(codes.Conflict, "v3")), codes.Conflict},
		{"a code in the text counts", errors.New("chaincode response 500, FORBIDDEN: no"), codes.Forbidden},
		{"the first *Error in the chain wins over text", fmt.Errorf("DUPLICATE: x: %w", codes.New(codes.Internal, "y")), codes.Internal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := codes.Of(tc.err); got != tc.want {
				t.Fatalf("codes.Of(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
	t.Run("codes.Wrap keeps the cause for errors.Is but not in the wire text", func(t *testing.T) {
		err := codes.Wrap(codes.Internal, cause, "writing state")
		if !errors.Is(err, cause) {
			t.Fatal("errors.Is does not reach the cause")
		}
		if err.Error() != "INTERNAL: writing state" {
			t.Fatalf("wire text %q", err.Error())
		}
	})
}
