package epcisschema_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/gateway-client/epcis/epcisschema"
	"github.com/stretchr/testify/require"
)

// shipping is a minimal valid EPCIS 2.0 document with one shipping ObjectEvent.
const shipping = `{
  "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  "type": "EPCISDocument",
  "schemaVersion": "2.0",
  "creationDate": "2025-03-01T12:00:00Z",
  "epcisBody": {"eventList": [{
    "type": "ObjectEvent",
    "eventTime": "2025-03-01T10:00:00Z",
    "eventTimeZoneOffset": "+00:00",
    "action": "OBSERVE",
    "bizStep": "shipping",
    "disposition": "in_transit",
    "epcList": ["https://id.gs1.org/01/00614141000418/21/S1"],
    "readPoint": {"id": "https://id.gs1.org/414/0614141000005"}
  }]}
}`

func TestTheSchemaTellsValidFromBroken(t *testing.T) {
	v, err := epcisschema.New()
	require.NoError(t, err)
	require.NoError(t, v.Validate([]byte(shipping)))

	cases := map[string]func(doc, ev map[string]any){
		"a bizStep outside CBV":               func(_, ev map[string]any) { ev["bizStep"] = "shipped" },
		"a CBV URN that is not a CBV bizStep": func(_, ev map[string]any) { ev["bizStep"] = "urn:epcglobal:cbv:bizstep:teleporting" },
		"no eventTime":                        func(_, ev map[string]any) { delete(ev, "eventTime") },
		"an eventTime that is no date-time":   func(_, ev map[string]any) { ev["eventTime"] = "yesterday" },
		"no action":                           func(_, ev map[string]any) { delete(ev, "action") },
		"neither epcList nor quantityList":    func(_, ev map[string]any) { delete(ev, "epcList") },
		"an EPC that is no URI":               func(_, ev map[string]any) { ev["epcList"] = []any{"S1"} },
		"ILMD on an OBSERVE event":            func(_, ev map[string]any) { ev["ilmd"] = map[string]any{"cbvmda:lotNumber": "L1"} },
		"an unknown event property":           func(_, ev map[string]any) { ev["colour"] = "red" },
		"no schemaVersion":                    func(doc, _ map[string]any) { delete(doc, "schemaVersion") },
		"no @context":                         func(doc, _ map[string]any) { delete(doc, "@context") },
	}
	for name, brk := range cases {
		t.Run(name, func(t *testing.T) {
			var doc map[string]any
			require.NoError(t, json.Unmarshal([]byte(shipping), &doc))
			brk(doc, doc["epcisBody"].(map[string]any)["eventList"].([]any)[0].(map[string]any))
			raw, err := json.Marshal(doc)
			require.NoError(t, err)
			err = v.Validate(raw)
			require.Error(t, err)
			require.Contains(t, err.Error(), "invalid EPCIS document")
		})
	}
	require.ErrorContains(t, v.Validate([]byte(`{"type":`)), "not JSON")
}

func TestTheVendoredSchemaIsDraft7(t *testing.T) {
	var s map[string]any
	require.NoError(t, json.Unmarshal(epcisschema.Schema(), &s))
	require.Equal(t, "http://json-schema.org/draft-07/schema#", s["$schema"])
	require.Equal(t, epcisschema.SchemaID, s["$id"])
	require.True(t, strings.Contains(string(epcisschema.Schema()), "(?!"), "the schema needs an ECMAScript regexp engine")
}
