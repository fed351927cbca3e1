// Package fhir converts the answers of the consent and claims chaincodes into HL7 FHIR R4 (4.0.1)
// resources and an X12 835-shaped remittance:
//
//   - [Consent]: a consent as a FHIR Consent;
//   - [AuditEvent] and [AuditBundle]: access log entries as FHIR AuditEvents, a log as a Bundle;
//   - [ExplanationOfBenefit]: a claim (header, details, adjudication, payment) as a FHIR
//     ExplanationOfBenefit;
//   - [Remittance835]: the same claim as X12 005010X221A1 segments, and [Parse835] to read them back.
//
// The conversions are pure: they read only what they are given and never touch the network. Every
// enum value is mapped explicitly; a value without a mapping is an INVALID_ARGUMENT error, never
// dropped. The resources carry pseudonyms and codes only: patients appear as "Patient/<pseudonym>",
// parties as their ledger identities, and a claim's clinical content only as far as the caller could
// read it from the chaincode (GetClaimDetails).
//
// [Validator] checks a document against the official FHIR R4 JSON schema (fhir.schema.json), which
// the caller supplies (this package's testdata/schema holds a copy).
package fhir
