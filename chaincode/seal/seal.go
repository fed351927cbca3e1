// Package seal encrypts the answer of a chaincode function that returns private data, so that the
// answer can go into a block (when a client submits the read instead of evaluating it) without
// putting the private data there. It is shared by the chaincodes, which seal, and the SDK, which
// opens: it imports neither the shim nor the gateway client.
//
// # The scheme (docs/privacy.md, Sealed answers)
//
// The caller draws a fresh random 32-byte key for every call ([NewKey]) and passes it as the
// proposal's transient field [TransientKey]; transient data never reaches a block. The function
// answers an [Envelope] instead of its plain JSON: AES-256-GCM under that key of the plain JSON
// (padded with trailing spaces to a multiple of [PadTo] bytes, so the length of the box tells little),
// with
//
//   - nonce: the first 12 bytes of SHA-256("healthledger/seal/v1" 0x00 function 0x00 txid), so that
//     every endorsing peer of one transaction produces the same bytes (Fabric requires identical
//     payloads from all endorsers), and two functions sealing under the same key in one transaction
//     never share a nonce;
//   - associated data: "healthledger/seal/v1" 0x00 function 0x00 txid, so that a box opens only as the
//     answer of the function and transaction it was made for.
//
// A key must seal at most one answer of a function per transaction: the SDK draws a new key for every
// proposal, and no healthledger chaincode calls a sealed function of another through InvokeChaincode.
package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// TransientKey is the transient field that carries the caller's seal key.
const TransientKey = "seal.key"

// Scheme names the sealing scheme in [Envelope.Sealed].
const Scheme = "aes-256-gcm/v1"

// KeySize is the size in bytes of a seal key.
const KeySize = 32

// PadTo is the block size the plain answer is padded to before sealing.
const PadTo = 256

// label starts the nonce derivation and the associated data.
const label = "healthledger/seal/v1"

// The failures of [Open] and [Seal]; errors.Is matches them.
var (
	// ErrKey: the key is not KeySize bytes.
	ErrKey = errors.New("seal: the key must be 32 bytes")
	// ErrNotSealed: the payload is not an Envelope of this scheme.
	ErrNotSealed = errors.New("seal: the answer is not a sealed envelope")
	// ErrOpen: the box does not open under the key for this function and transaction: a wrong key,
	// another function or transaction, or a box changed on the way.
	ErrOpen = errors.New("seal: the sealed answer does not open with this key, function and transaction")
)

// Envelope is the answer of a function that returns private data.
type Envelope struct {
	// Sealed names the scheme: Scheme.
	Sealed string `json:"sealed"`
	// Box is the base64 (standard, padded) of the AES-256-GCM ciphertext and tag.
	Box string `json:"box"`
}

// NewKey draws a fresh random seal key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("seal: drawing a key: %w", err)
	}
	return k, nil
}

// Nonce returns the GCM nonce of function fn in transaction txID.
func Nonce(fn, txID string) []byte {
	h := sha256.Sum256(aad(fn, txID))
	return h[:12]
}

func aad(fn, txID string) []byte {
	return []byte(label + "\x00" + fn + "\x00" + txID)
}

func aead(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, ErrKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return g, nil
}

// Seal seals plain, the JSON answer of function fn in transaction txID, under key. The same
// arguments always give the same envelope.
func Seal(key []byte, fn, txID string, plain []byte) (*Envelope, error) {
	g, err := aead(key)
	if err != nil {
		return nil, err
	}
	padded := make([]byte, len(plain), (len(plain)/PadTo+1)*PadTo)
	copy(padded, plain)
	for len(padded) < cap(padded) {
		padded = append(padded, ' ')
	}
	box := g.Seal(nil, Nonce(fn, txID), padded, aad(fn, txID))
	return &Envelope{Sealed: Scheme, Box: base64.StdEncoding.EncodeToString(box)}, nil
}

// Parse reads payload as an Envelope of this scheme; ErrNotSealed when it is not one.
func Parse(payload []byte) (*Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(payload, &e); err != nil || e.Sealed == "" {
		return nil, ErrNotSealed
	}
	if e.Sealed != Scheme {
		return nil, fmt.Errorf("%w: scheme %q is unknown (want %q)", ErrNotSealed, e.Sealed, Scheme)
	}
	return &e, nil
}

// IsSealed reports whether payload is an Envelope of this scheme.
func IsSealed(payload []byte) bool {
	_, err := Parse(payload)
	return err == nil
}

// Open opens e, the answer of function fn in transaction txID, with key and returns the plain JSON
// answer (its padding removed).
func Open(key []byte, fn, txID string, e *Envelope) ([]byte, error) {
	if e == nil || e.Sealed != Scheme {
		return nil, ErrNotSealed
	}
	g, err := aead(key)
	if err != nil {
		return nil, err
	}
	box, err := base64.StdEncoding.DecodeString(e.Box)
	if err != nil {
		return nil, fmt.Errorf("%w: the box is not base64", ErrOpen)
	}
	plain, err := g.Open(nil, Nonce(fn, txID), box, aad(fn, txID))
	if err != nil {
		return nil, ErrOpen
	}
	return bytes.TrimRight(plain, " "), nil
}

// OpenPayload parses payload as an Envelope and opens it: [Parse], then [Open].
func OpenPayload(key []byte, fn, txID string, payload []byte) ([]byte, error) {
	e, err := Parse(payload)
	if err != nil {
		return nil, err
	}
	return Open(key, fn, txID, e)
}
