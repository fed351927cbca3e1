package consenttypes_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/stretchr/testify/require"
)

// goodSalt is base64url of the 16 bytes "saltsaltsaltsalt".
const goodSalt = "c2FsdHNhbHRzYWx0c2FsdA"

func TestAnchorIsTheDocumentsHMACKeyedByTheSalt(t *testing.T) {
	mac := hmac.New(sha256.New, []byte("saltsaltsaltsalt"))
	mac.Write([]byte("positive"))
	want := hex.EncodeToString(mac.Sum(nil))
	got, err := consenttypes.Anchor(goodSalt, []byte("positive"))
	require.NoError(t, err)
	require.Equal(t, want, got)

	plain := sha256.Sum256([]byte("positive"))
	require.NotEqual(t, hex.EncodeToString(plain[:]), got, "the anchor is no plain SHA-256 a guesser could compute")
	other, err := consenttypes.Anchor("b3RoZXJvdGhlcm90aGVyIQ", []byte("positive"))
	require.NoError(t, err)
	require.NotEqual(t, got, other, "another salt, another anchor")
	neg, err := consenttypes.Anchor(goodSalt, []byte("negative"))
	require.NoError(t, err)
	require.NotEqual(t, got, neg)
}

func TestDecodeSaltRefusesWeakSalts(t *testing.T) {
	for name, salt := range map[string]string{
		"empty":      "",
		"one byte":   "QQ",
		"15 bytes":   "c2FsdHNhbHRzYWx0c2Fs",
		"all zero":   "AAAAAAAAAAAAAAAAAAAAAA",
		"not base64": "***not*base64*at*all***",
		"overlong":   string(make([]byte, consenttypes.MaxSaltLen+1)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := consenttypes.DecodeSalt(salt)
			require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument})
			if salt != "" {
				require.NotContains(t, err.Error(), salt, "the message echoes the salt")
			}
			_, err = consenttypes.Anchor(salt, []byte("doc"))
			require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument})
		})
	}
	raw, err := consenttypes.DecodeSalt(goodSalt)
	require.NoError(t, err)
	require.Equal(t, []byte("saltsaltsaltsalt"), raw)
}
