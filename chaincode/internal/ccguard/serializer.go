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
type codedSerializer struct {
	json serializer.JSONSerializer
}

// FromString converts an argument as contractapi's JSON serializer does.
func (s *codedSerializer) FromString(param string, t reflect.Type, pm *metadata.ParameterMetadata, c *metadata.ComponentMetadata) (reflect.Value, error) {
	v, err := s.json.FromString(param, t, pm, c)
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

// ToString formats a result as contractapi's JSON serializer does.
func (s *codedSerializer) ToString(v reflect.Value, t reflect.Type, rm *metadata.ReturnMetadata, c *metadata.ComponentMetadata) (string, error) {
	return s.json.ToString(v, t, rm, c)
}
