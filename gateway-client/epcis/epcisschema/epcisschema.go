// Package epcisschema validates EPCIS 2.0 JSON documents against the official GS1 EPCIS 2.0 JSON
// schema, vendored unchanged in schema/ (see schema/README.md for its source and commit).
//
// The schema is JSON Schema draft-07, compiled with github.com/santhosh-tekuri/jsonschema/v6, which
// supports that draft. Two settings make the validation as strict as the GS1 reference tooling (ajv
// with ajv-formats):
//
//   - formats are asserted ("uri", "date-time"): an epcList entry or a location that is not an
//     absolute URI fails;
//
//   - patterns use an ECMAScript regular expression engine (github.com/dlclark/regexp2), because the
//     schema's patterns for vocabulary URIs use a negative lookahead, which Go's regexp package
//     (RE2) cannot compile.
//
//     v, err := epcisschema.New()
//     err = v.Validate(doc) // nil, or an error saying which keyword failed where
package epcisschema

import (
	"bytes"
	_ "embed"
	"fmt"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaID is the $id of the vendored schema.
const SchemaID = "https://gs1.github.io/EPCIS/EPCIS-JSON-Schema.json"

//go:embed schema/EPCIS-JSON-Schema.json
var schemaJSON []byte

// Schema returns a copy of the vendored schema document.
func Schema() []byte { return bytes.Clone(schemaJSON) }

// Validator validates documents against the compiled schema. It is safe for concurrent use.
type Validator struct {
	s *jsonschema.Schema
}

// New compiles the vendored schema.
func New() (*Validator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("epcisschema: read the schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	c.UseRegexpEngine(ecmaRegexp)
	if err := c.AddResource(SchemaID, doc); err != nil {
		return nil, fmt.Errorf("epcisschema: add the schema: %w", err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		return nil, fmt.Errorf("epcisschema: compile the schema: %w", err)
	}
	return &Validator{s: s}, nil
}

// Validate checks one JSON document. The error, when the document is not valid, lists every
// failing keyword with its location in the document.
func (v *Validator) Validate(doc []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("epcisschema: not JSON: %w", err)
	}
	if err := v.s.Validate(inst); err != nil {
		return fmt.Errorf("epcisschema: invalid EPCIS document: %w", err)
	}
	return nil
}

// ecmaRegexp compiles the schema's patterns as ECMAScript regular expressions, as JSON Schema
// specifies them.
func ecmaRegexp(s string) (jsonschema.Regexp, error) {
	re, err := regexp2.Compile(s, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	// The schema's patterns are short and fixed; the bound only keeps a hostile document from
	// making a pattern backtrack for long. A timed-out match is a mismatch.
	re.MatchTimeout = time.Second
	return (*ecma)(re), nil
}

type ecma regexp2.Regexp

func (re *ecma) MatchString(s string) bool {
	ok, err := (*regexp2.Regexp)(re).MatchString(s)
	return err == nil && ok
}

func (re *ecma) String() string { return (*regexp2.Regexp)(re).String() }
