package fhirschema_test

import (
	"strings"
	"testing"

	"github.com/healthledger/healthledger/gateway-client/fhir/fhirschema"
	"github.com/stretchr/testify/require"
)

func TestLoadAndRefuse(t *testing.T) {
	_, err := fhirschema.Load("testdata/none.json")
	require.Error(t, err)
	_, err = fhirschema.New(strings.NewReader(`{"definitions":{}}`))
	require.ErrorContains(t, err, "no resource types")
	_, err = fhirschema.New(strings.NewReader(`not json`))
	require.Error(t, err)

	// A two-type schema in the shape of fhir.schema.json.
	v, err := fhirschema.New(strings.NewReader(`{"$schema":"http://json-schema.org/draft-06/schema#",
		"discriminator":{"mapping":{"Thing":"#/definitions/Thing"}},
		"definitions":{"Thing":{"properties":{"resourceType":{"const":"Thing"},"status":{"enum":["on","off"]}},
		"additionalProperties":false,"required":["resourceType"]}}}`))
	require.NoError(t, err)
	require.NoError(t, v.Validate([]byte(`{"resourceType":"Thing","status":"on"}`)))
	require.ErrorContains(t, v.Validate([]byte(`{"resourceType":"Thing","status":"maybe"}`)), "does not satisfy")
	require.Error(t, v.Validate([]byte(`{"resourceType":"Thing","extra":1}`)))
	require.ErrorContains(t, v.Validate([]byte(`{"resourceType":"Other"}`)), "not a FHIR resource type")
	require.ErrorContains(t, v.Validate([]byte(`[1]`)), "not a JSON object")
	require.ErrorContains(t, v.Validate([]byte(`{`)), "not JSON")
	require.NoError(t, v.ValidateValue(map[string]any{"resourceType": "Thing", "status": "off"}))
}
