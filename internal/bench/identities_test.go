package bench

import (
	"testing"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/stretchr/testify/require"
)

func TestRegistrarName(t *testing.T) {
	cases := []struct {
		name string
		ca   *sdk.CAEndpoint
		want string
	}{
		{"the profile's ca.registrar is the registrar", &sdk.CAEndpoint{Registrar: "boss.hospital"}, "boss.hospital"},
		{"a CA naming no registrar means registrar.<org>", &sdk.CAEndpoint{}, "registrar.hospital"},
		{"no CA at all means registrar.<org>", nil, "registrar.hospital"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, registrarName(&sdk.Profile{Name: "hospital", CA: tc.ca}))
		})
	}
}
