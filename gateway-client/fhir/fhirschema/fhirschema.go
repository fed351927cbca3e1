// Package fhirschema validates FHIR R4 JSON documents against the official FHIR JSON schema
// (fhir.schema.json, published by HL7 with the R4 specification), using
// github.com/santhosh-tekuri/jsonschema/v6.
//
// The schema is a draft-06 document whose root is a oneOf over every resource type; a Validator
// checks a document against the definition its resourceType names, which is the same check with
// readable errors. The JSON schema does not carry every rule of the specification: it leaves out the
// invariants (FHIRPath constraints), and it marks as required only the elements that are not
// primitives, so a Consent without status passes it; an enumerated code (Consent.status,
// AuditEvent.action, ExplanationOfBenefit.status, Bundle.type) must be one of its values.
package fhirschema

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// MaxSchemaBytes bounds the schema a Validator reads (the R4 schema has 3.4 MB).
const MaxSchemaBytes = 64 << 20

// Validator checks documents against one FHIR JSON schema. It is safe for concurrent use.
type Validator struct {
	url      string
	compiler *jsonschema.Compiler
	types    map[string]bool

	mu       sync.Mutex
	compiled map[string]*jsonschema.Schema
}

// Load reads a schema file; a name ending in .gz is gunzipped first.
func Load(path string) (*Validator, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fhirschema: open the schema: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("fhirschema: gunzip %s: %w", path, err)
		}
		defer z.Close()
		r = z
	}
	return New(r)
}

// New reads a schema document.
func New(r io.Reader) (*Validator, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxSchemaBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fhirschema: read the schema: %w", err)
	}
	if len(raw) > MaxSchemaBytes {
		return nil, fmt.Errorf("fhirschema: the schema is larger than %d bytes", MaxSchemaBytes)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("fhirschema: the schema is not JSON: %w", err)
	}
	var head struct {
		ID            string `json:"id"`
		Discriminator struct {
			Mapping map[string]string `json:"mapping"`
		} `json:"discriminator"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("fhirschema: read the schema's head: %w", err)
	}
	if len(head.Discriminator.Mapping) == 0 {
		return nil, fmt.Errorf("fhirschema: the schema lists no resource types (discriminator.mapping)")
	}
	const url = "urn:healthledger:fhir.schema.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft6)
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("fhirschema: add the schema: %w", err)
	}
	v := &Validator{url: url, compiler: c, types: map[string]bool{}, compiled: map[string]*jsonschema.Schema{}}
	for t := range head.Discriminator.Mapping {
		v.types[t] = true
	}
	return v, nil
}

// schemaFor compiles (once) the definition of a resource type.
func (v *Validator) schemaFor(resourceType string) (*jsonschema.Schema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.compiled[resourceType]; ok {
		return s, nil
	}
	s, err := v.compiler.Compile(v.url + "#/definitions/" + resourceType)
	if err != nil {
		return nil, fmt.Errorf("fhirschema: compile %s: %w", resourceType, err)
	}
	v.compiled[resourceType] = s
	return s, nil
}

// Validate checks one FHIR JSON document: it must be an object whose resourceType the schema knows,
// and it must satisfy that resource's definition.
func (v *Validator) Validate(doc []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("fhirschema: the document is not JSON: %w", err)
	}
	obj, ok := inst.(map[string]any)
	if !ok {
		return fmt.Errorf("fhirschema: the document is not a JSON object")
	}
	rt, _ := obj["resourceType"].(string)
	if !v.types[rt] {
		return fmt.Errorf("fhirschema: resourceType %q is not a FHIR resource type", rt)
	}
	s, err := v.schemaFor(rt)
	if err != nil {
		return err
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("fhirschema: %s does not satisfy the FHIR schema: %w", rt, err)
	}
	return nil
}

// ValidateValue marshals v and validates the JSON.
func (v *Validator) ValidateValue(doc any) error {
	raw, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("fhirschema: marshal the document: %w", err)
	}
	return v.Validate(raw)
}
