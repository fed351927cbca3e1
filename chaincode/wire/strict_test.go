package wire

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/stretchr/testify/require"
)

type sample struct {
	ID    string `json:"id"`
	Count int    `json:"count,omitempty"`
}

func TestDecodeStrict(t *testing.T) {
	refused := []struct{ name, in string }{
		{"a stray closing brace after the value", `{"id":"c-1"}}`},
		{"a stray closing bracket after the value", `{"id":"c-1"}]`},
		{"a second value", `{"id":"c-1"} {"id":"c-2"}`},
		{"text after the value", `{"id":"c-1"} trailing`},
		{"a comma after the value", `{"id":"c-1"},`},
		{"an unknown field", `{"id":"c-1","extra":1}`},
		{"a wrong type", `{"id":"c-1","count":"three"}`},
		{"a syntax error", `{"id":`},
		{"empty input", ``},
		{"white space only", "  \n"},
	}
	for _, tc := range refused {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			var s sample
			err := DecodeStrict("the sample", []byte(tc.in), &s)
			require.Error(t, err)
			require.Equal(t, codes.InvalidArgument, codes.Of(err))
			require.Contains(t, err.Error(), "the sample")
		})
	}
	t.Run("one value with white space around it is accepted", func(t *testing.T) {
		var s sample
		require.NoError(t, DecodeStrict("the sample", []byte(" \n{\"id\":\"c-1\",\"count\":2}\n\t "), &s))
		require.Equal(t, sample{ID: "c-1", Count: 2}, s)
	})
	t.Run("messages never quote the input", func(t *testing.T) {
		for _, in := range []string{`{"id":"J06.9-SECRET"}}`, `{"id":"J06.9-SECRET","count":"J06.9-SECRET"}`, `{"id":J06.9-SECRET}`} {
			var s sample
			err := DecodeStrict("claim details", []byte(in), &s)
			require.Error(t, err)
			require.NotContains(t, err.Error(), "SECRET", in)
		}
	})
}
