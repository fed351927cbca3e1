package ccguard

import (
	"reflect"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/stretchr/testify/require"
)

func TestTheSerializerCodesItsRefusalsAndNamesTheArgumentNotTheValue(t *testing.T) {
	type doc struct {
		A int `json:"a"`
	}
	s := &codedSerializer{}
	tests := []struct {
		name  string
		value string
		typ   reflect.Type
		param *metadata.ParameterMetadata
		want  string
	}{
		{"a word for an int", "s3cr3t", reflect.TypeFor[int](), &metadata.ParameterMetadata{Name: "param1"}, "INVALID_ARGUMENT: argument 2 must be an integer"},
		{"a word for a bool", "s3cr3t", reflect.TypeFor[bool](), nil, "INVALID_ARGUMENT: an argument must be true or false"},
		{"bad JSON for a struct", `{"a":"s3cr3t"}`, reflect.TypeFor[doc](), &metadata.ParameterMetadata{Name: "param0"}, "INVALID_ARGUMENT: argument 1 must be JSON of the shape of ccguard.doc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.FromString(tc.value, tc.typ, tc.param, nil)
			require.Equal(t, codes.InvalidArgument, codes.Of(err))
			require.EqualError(t, err, tc.want)
		})
	}
	v, err := s.FromString("42", reflect.TypeFor[int](), nil, nil)
	require.NoError(t, err)
	require.Equal(t, 42, int(v.Int()))
	out, err := s.ToString(reflect.ValueOf(doc{A: 1}), reflect.TypeFor[doc](), nil, nil)
	require.NoError(t, err)
	require.Equal(t, `{"a":1}`, out)
}
