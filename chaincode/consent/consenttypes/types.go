package consenttypes

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
)

// Decision is the answer of CheckAccess: permit or deny at the transaction's time, the consents that
// decided it (sorted; empty for the default deny) and why.
type Decision struct {
	Decision   Verdict   `json:"decision"`
	ConsentIDs []string  `json:"consentIds"`
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"`
}

// Permitted reports whether the decision is permit.
func (d *Decision) Permitted() bool { return d != nil && d.Decision == Permit }

// AccessEntry is one line of a patient's access log: who read what, why, when, and under which
// consents. ID is "<recordId>@<txId>": a retried RecordAccess is a new transaction and a new entry.
type AccessEntry struct {
	ID         string    `json:"id"`
	Patient    string    `json:"patient"`
	Accessor   string    `json:"accessor"` // the reader, as "<MSPID>/<role>/<subject>"
	Action     Action    `json:"action"`
	DataClass  DataClass `json:"dataClass"`
	Purpose    Purpose   `json:"purpose"`
	RecordID   string    `json:"recordId"`
	ConsentIDs []string  `json:"consentIds"`
	At         time.Time `json:"at"`
	TxID       string    `json:"txId"`
	// Detail says more about an identity entry (patient-registered, key-rotated, recovery-*): the key
	// hash set or approved, never PHI. Empty for a read.
	Detail string `json:"detail,omitempty"`
}

// Delegate is someone a patient allows to manage their consents (a guardian), identified by the MSP id
// and the subject attribute of their certificate, whatever their role.
type Delegate struct {
	Patient string    `json:"patient"`
	MSPID   string    `json:"mspId"`
	Subject string    `json:"subject"`
	AddedAt time.Time `json:"addedAt"`
	AddedBy string    `json:"addedBy"`
}

// Record is the public anchor of an off-chain health record: its SHA-256, class and owner. Its location
// and description live in the private data collection named by Collection until erased.
type Record struct {
	ID              string    `json:"id"`
	Patient         string    `json:"patient"`
	DataClass       DataClass `json:"dataClass"`
	SHA256          string    `json:"sha256"`
	RegisteredBy    string    `json:"registeredBy"` // "<MSPID>/<role>/<subject>"
	RegisteredByMSP string    `json:"registeredByMsp"`
	RegisteredAt    time.Time `json:"registeredAt"`
	Collection      string    `json:"collection"`
	// DetailsHash is the hex SHA-256 of the private details as PutRecordDetails stores them (the
	// collection's value, salted): the commitment that the anchor's endorsers sign without seeing the
	// details, and that every peer can check against the private write's hash in the block.
	DetailsHash string   `json:"detailsHash"`
	Purpose     Purpose  `json:"purpose"`    // the purpose under which collect was permitted
	ConsentIDs  []string `json:"consentIds"` // the consents that permitted it

	ErasureRequested   bool      `json:"erasureRequested,omitempty" metadata:",optional"`
	ErasureRequestedAt time.Time `json:"erasureRequestedAt,omitzero" metadata:",optional"`
	ErasureRequestedBy string    `json:"erasureRequestedBy,omitempty" metadata:",optional"`
	Erased             bool      `json:"erased,omitempty" metadata:",optional"`
	ErasedAt           time.Time `json:"erasedAt,omitzero" metadata:",optional"`
	ErasedBy           string    `json:"erasedBy,omitempty" metadata:",optional"`
	EraseReason        string    `json:"eraseReason,omitempty" metadata:",optional"`
}

// TransientRecord is the transient field that carries a record's RecordDetails to RegisterRecord.
const TransientRecord = "record"

// CollectionPrefix starts the name of the private data collection of a registering organisation.
const CollectionPrefix = "consentRecords"

// CollectionFor returns the private data collection that holds the record details registered by
// members of mspID, e.g. consentRecordsHospitalMSP.
func CollectionFor(mspID string) string { return CollectionPrefix + mspID }

// RecordDetails are the private details of a record: protected health information that never reaches
// public state or a block. Salt is required: base64 of at least MinSaltBytes random bytes. It keys the
// record's public anchor (Anchor), so that only who holds the salt can check a document against it, and
// it makes the hash of the private value, which the block does carry, unguessable from the URI.
type RecordDetails struct {
	URI         string `json:"uri"`
	Description string `json:"description,omitempty" metadata:",optional"`
	Salt        string `json:"salt"`
}

// Validate returns INVALID_ARGUMENT unless the details are usable. Its messages never echo the values.
func (d *RecordDetails) Validate() error {
	if d.URI == "" {
		return codes.New(codes.InvalidArgument, "the record details have no uri")
	}
	if err := checkURI("the record uri", d.URI, MaxRecordURILen); err != nil {
		return err
	}
	if len(d.Description) > MaxDescriptionLen {
		return codes.New(codes.InvalidArgument, "the record description is longer than %d bytes", MaxDescriptionLen)
	}
	if _, err := DecodeSalt(d.Salt); err != nil {
		return err
	}
	return nil
}

// RecordDetailsView is what GetRecordDetails answers.
type RecordDetailsView struct {
	RecordID    string `json:"recordId"`
	Collection  string `json:"collection"`
	URI         string `json:"uri"`
	Description string `json:"description,omitempty" metadata:",optional"`
	// Salt keys the record's public anchor (Anchor): whoever may read the details may check a
	// document against the anchor with it (VerifyRecord).
	Salt string `json:"salt,omitempty" metadata:",optional"`
}

// Verification results.
const (
	Match    = "match"
	Mismatch = "mismatch"
)

// Verification is the answer of VerifyRecord.
type Verification struct {
	RecordID string `json:"recordId"`
	Result   string `json:"result"`
	Erased   bool   `json:"erased"`
}

// CheckSHA256 returns the lowercase form of a hex SHA-256 digest, or INVALID_ARGUMENT unless it is 64
// hex digits.
func CheckSHA256(s string) (string, error) {
	if len(s) != 64 {
		return "", codes.New(codes.InvalidArgument, "sha256 must be 64 hex digits, got %d characters", len(s))
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", codes.New(codes.InvalidArgument, "sha256 is not hexadecimal")
	}
	return strings.ToLower(s), nil
}

// ConsentVersion is one version of a consent in its history.
type ConsentVersion struct {
	TxID      string    `json:"txId"`
	Timestamp time.Time `json:"timestamp"`
	IsDelete  bool      `json:"isDelete"`
	Value     *Consent  `json:"value,omitempty" metadata:",optional"`
}

// RecordVersion is one version of a record anchor in its history.
type RecordVersion struct {
	TxID      string    `json:"txId"`
	Timestamp time.Time `json:"timestamp"`
	IsDelete  bool      `json:"isDelete"`
	Value     *Record   `json:"value,omitempty" metadata:",optional"`
}

// The pages the queries return: {"items":[...],"bookmark":"..."}; an empty bookmark means the end.

// ConsentPage is a page of consents.
type ConsentPage struct {
	Items    []Consent `json:"items"`
	Bookmark string    `json:"bookmark"`
}

// AccessLogPage is a page of a patient's access log, newest first.
type AccessLogPage struct {
	Items    []AccessEntry `json:"items"`
	Bookmark string        `json:"bookmark"`
}

// DelegatePage is a page of a patient's delegates.
type DelegatePage struct {
	Items    []Delegate `json:"items"`
	Bookmark string     `json:"bookmark"`
}

// RecordPage is a page of a patient's record anchors.
type RecordPage struct {
	Items    []Record `json:"items"`
	Bookmark string   `json:"bookmark"`
}
