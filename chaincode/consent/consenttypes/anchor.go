package consenttypes

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/healthledger/healthledger/chaincode/codes"
)

// MinSaltBytes is the least number of random bytes a record's salt carries: the key of its public
// anchor (see Anchor).
const MinSaltBytes = 16

// DecodeSalt returns the bytes of a record salt: base64 (URL or standard alphabet, padded or not) of at
// least MinSaltBytes bytes that are not all one value. Anything else is INVALID_ARGUMENT; the message
// never echoes the salt.
func DecodeSalt(salt string) ([]byte, error) {
	if salt == "" {
		return nil, codes.New(codes.InvalidArgument, "the record details carry no salt: a record needs a salt of at least %d random bytes (base64)", MinSaltBytes)
	}
	if len(salt) > MaxSaltLen {
		return nil, codes.New(codes.InvalidArgument, "the record salt is longer than %d bytes", MaxSaltLen)
	}
	var raw []byte
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		if b, err := enc.DecodeString(salt); err == nil {
			raw = b
			break
		}
	}
	switch {
	case raw == nil:
		return nil, codes.New(codes.InvalidArgument, "the record salt is not base64")
	case len(raw) < MinSaltBytes:
		return nil, codes.New(codes.InvalidArgument, "the record salt has %d bytes: a record needs at least %d random bytes", len(raw), MinSaltBytes)
	case bytes.Count(raw, raw[:1]) == len(raw):
		return nil, codes.New(codes.InvalidArgument, "the record salt repeats one byte: it must be random")
	}
	return raw, nil
}

// Anchor is the public anchor of a document under a record's salt: the lowercase hex HMAC-SHA256 of
// the document keyed by the decoded salt. Without the salt, which lives only in the record's private
// details, nobody can confirm a guessed document against the anchor.
func Anchor(salt string, document []byte) (string, error) {
	key, err := DecodeSalt(salt)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(document)
	return hex.EncodeToString(mac.Sum(nil)), nil
}
