package ccguard

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-contract-api-go/v2/serializer"
)

// codedSerializer is contractapi's JSON serializer whose refusals carry INVALID_ARGUMENT and name the
// argument, not its value: contractapi's own text ("cannot convert passed value X to int", "value X
// was not passed in expected format") repeats the input.
//
// It skips two schema validations that cannot fail but cost as much as the transaction itself on
// large input: of an argument of a basic type (a string is a string, an integer that parsed is an
// integer), and of an answer (the schema is derived from the Go type that produced it). Validating a
// 500 kB string argument or a 1,000-reading answer with gojsonschema marshals and re-decodes it.
type codedSerializer struct {
	json serializer.JSONSerializer
}

// FromString converts an argument as contractapi's JSON serializer does; it validates against the
// parameter's schema only an argument of a composite type (a struct, slice, map or array).
func (s *codedSerializer) FromString(param string, t reflect.Type, pm *metadata.ParameterMetadata, c *metadata.ComponentMetadata) (reflect.Value, error) {
	schema := pm
	if isBasic(t) {
		schema = nil
	}
	v, err := s.json.FromString(param, t, schema, c)
	if err == nil {
		return v, nil
	}
	which := "an argument"
	if pm != nil {
		if n, convErr := strconv.Atoi(strings.TrimPrefix(pm.Name, "param")); convErr == nil {
			which = "argument " + strconv.Itoa(n+1)
		}
	}
	if strings.HasPrefix(err.Error(), "conversion error") {
		return v, codes.Wrap(codes.InvalidArgument, err, "%s must be %s", which, describe(t))
	}
	return v, codes.Wrap(codes.InvalidArgument, err, "%s does not match its schema (%s)", which, describe(t))
}

// ToString formats a result as contractapi's JSON serializer does, without validating it against
// the schema of its own Go type.
func (s *codedSerializer) ToString(v reflect.Value, t reflect.Type, _ *metadata.ReturnMetadata, c *metadata.ComponentMetadata) (string, error) {
	return s.json.ToString(v, t, nil, c)
}

// isBasic reports whether t is a type contractapi converts without JSON: a string, a number or a
// bool.
func isBasic(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}
