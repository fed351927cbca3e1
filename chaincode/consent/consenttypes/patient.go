package consenttypes

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"strconv"

	"github.com/healthledger/healthledger/chaincode/codes"
)

// The access-log actions of a patient's identity: they are no consent actions (a consent cannot name
// them), only lines of the log, so that the patient and an auditor see every change of the binding.
const (
	ActionPatientRegistered Action = "patient-registered"
	ActionKeyRotated        Action = "key-rotated"
	ActionRecoveryApproved  Action = "recovery-approved"
	ActionRecoveryCompleted Action = "recovery-completed"
)

// MinRecoveryOrgs is how many distinct organisations' admins must approve a recovery before a patient
// can bind a new key without the old one.
const MinRecoveryOrgs = 2

// PatientBinding binds a patient id to the public key that registered it (KeyHash: hex SHA-256 of the
// certificate's DER SubjectPublicKeyInfo) and to the MSP of the certificate that last set the key. Every
// write in the patient's name must come from a certificate with that key. Epoch counts the changes of
// the key (0 at registration); a rotation proof and a recovery approval name it, so neither can be
// replayed after the key changed.
type PatientBinding struct {
	Patient      string `json:"patient"`
	MSPID        string `json:"mspId"`
	KeyHash      string `json:"keyHash"`
	Epoch        int    `json:"epoch"`
	RegisteredAt string `json:"registeredAt"`
	UpdatedAt    string `json:"updatedAt"`
	UpdatedTxID  string `json:"updatedTxId"`
}

// RecoveryApproval is one organisation's approval that patient's key may be replaced by NewKeyHash,
// for the binding's epoch Epoch.
type RecoveryApproval struct {
	Patient    string `json:"patient"`
	NewKeyHash string `json:"newKeyHash"`
	Epoch      int    `json:"epoch"`
	MSPID      string `json:"mspId"`
	ApprovedBy string `json:"approvedBy"` // the admin certificate's id
	ApprovedAt string `json:"approvedAt"`
	TxID       string `json:"txId"`
}

// KeyHash is the hex SHA-256 of a DER SubjectPublicKeyInfo: how the ledger names a public key.
func KeyHash(spkiDER []byte) string {
	h := sha256.Sum256(spkiDER)
	return hex.EncodeToString(h[:])
}

// RotationMessage is what the holder of a patient's new key signs (ECDSA over its SHA-256) to agree to
// RotatePatientKey: the patient id, the binding's current epoch and the new key's hash.
func RotationMessage(patient string, epoch int, newKeyHash string) []byte {
	return []byte("healthledger consent RotatePatientKey\n" + patient + "\n" + strconv.Itoa(epoch) + "\n" + newKeyHash)
}

// ParsePublicKeyPEM reads the public key of a PEM certificate ("CERTIFICATE") or public key ("PUBLIC
// KEY") and returns its DER SubjectPublicKeyInfo and the parsed key.
func ParsePublicKeyPEM(pemText []byte) ([]byte, any, error) {
	block, _ := pem.Decode(pemText)
	if block == nil {
		return nil, nil, codes.New(codes.InvalidArgument, "the new key is no PEM block")
	}
	switch block.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, codes.New(codes.InvalidArgument, "the new certificate does not parse: %v", err)
		}
		return cert.RawSubjectPublicKeyInfo, cert.PublicKey, nil
	case "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, nil, codes.New(codes.InvalidArgument, "the new public key does not parse: %v", err)
		}
		return block.Bytes, pub, nil
	default:
		return nil, nil, codes.New(codes.InvalidArgument, "the new key is a PEM %q block; want CERTIFICATE or PUBLIC KEY", block.Type)
	}
}

// CheckKeyHash returns INVALID_ARGUMENT unless s is 64 lower-case hex digits.
func CheckKeyHash(s string) error {
	if len(s) != 64 {
		return codes.New(codes.InvalidArgument, "a key hash is 64 hex digits; got %d characters", len(s))
	}
	if _, err := hex.DecodeString(s); err != nil || s != toLowerHex(s) {
		return codes.New(codes.InvalidArgument, "a key hash is 64 lower-case hex digits")
	}
	return nil
}

func toLowerHex(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'F' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
