package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func key(t *testing.T) []byte {
	t.Helper()
	k, err := NewKey()
	require.NoError(t, err)
	require.Len(t, k, KeySize)
	return k
}

const plain = `{"claimId":"clm-1","diagnoses":["J06.9"],"lines":[{"code":"99213"}]}`

func TestRoundTrip(t *testing.T) {
	k := key(t)
	e, err := Seal(k, "GetClaimDetails", "tx-1", []byte(plain))
	require.NoError(t, err)
	require.Equal(t, Scheme, e.Sealed)
	raw, err := json.Marshal(e)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "J06.9")
	require.NotContains(t, string(raw), "99213")
	require.True(t, IsSealed(raw))
	got, err := OpenPayload(k, "GetClaimDetails", "tx-1", raw)
	require.NoError(t, err)
	require.Equal(t, plain, string(got))
}

func TestTheBoxIsPaddedToABlock(t *testing.T) {
	k := key(t)
	for _, n := range []int{0, 1, PadTo - 1, PadTo, 3*PadTo + 7} {
		e, err := Seal(k, "F", "tx", bytes.Repeat([]byte("x"), n))
		require.NoError(t, err)
		box, err := base64.StdEncoding.DecodeString(e.Box)
		require.NoError(t, err)
		require.Equal(t, (n/PadTo+1)*PadTo+16, len(box), "plain of %d bytes", n)
		got, err := Open(k, "F", "tx", e)
		require.NoError(t, err)
		require.Len(t, got, n)
	}
}

func TestSealingIsDeterministicWithinATransaction(t *testing.T) {
	k := key(t)
	a, err := Seal(k, "GetCoverageTerms", "tx-7", []byte(plain))
	require.NoError(t, err)
	b, err := Seal(k, "GetCoverageTerms", "tx-7", []byte(plain))
	require.NoError(t, err)
	require.Equal(t, a, b, "two endorsing peers must produce the same payload")
	c, err := Seal(k, "GetCoverageTerms", "tx-8", []byte(plain))
	require.NoError(t, err)
	require.NotEqual(t, a.Box, c.Box, "another transaction, another nonce")
	d, err := Seal(k, "GetClaimDetails", "tx-7", []byte(plain))
	require.NoError(t, err)
	require.NotEqual(t, a.Box, d.Box, "another function, another nonce")
	require.NotEqual(t, Nonce("GetCoverageTerms", "tx-7"), Nonce("GetClaimDetails", "tx-7"))
}

func TestOpenRefuses(t *testing.T) {
	k := key(t)
	e, err := Seal(k, "GetClaimDetails", "tx-1", []byte(plain))
	require.NoError(t, err)
	box, err := base64.StdEncoding.DecodeString(e.Box)
	require.NoError(t, err)
	flipped := bytes.Clone(box)
	flipped[3] ^= 1
	for name, tc := range map[string]struct {
		key     []byte
		fn, tx  string
		e       *Envelope
		wantErr error
	}{
		"wrong key":      {key: key(t), fn: "GetClaimDetails", tx: "tx-1", e: e, wantErr: ErrOpen},
		"wrong txid":     {key: k, fn: "GetClaimDetails", tx: "tx-2", e: e, wantErr: ErrOpen},
		"wrong function": {key: k, fn: "GetCoverageTerms", tx: "tx-1", e: e, wantErr: ErrOpen},
		"tampered box":   {key: k, fn: "GetClaimDetails", tx: "tx-1", e: &Envelope{Sealed: Scheme, Box: base64.StdEncoding.EncodeToString(flipped)}, wantErr: ErrOpen},
		"truncated box":  {key: k, fn: "GetClaimDetails", tx: "tx-1", e: &Envelope{Sealed: Scheme, Box: base64.StdEncoding.EncodeToString(box[:10])}, wantErr: ErrOpen},
		"box not base64": {key: k, fn: "GetClaimDetails", tx: "tx-1", e: &Envelope{Sealed: Scheme, Box: "%%%"}, wantErr: ErrOpen},
		"short key":      {key: k[:16], fn: "GetClaimDetails", tx: "tx-1", e: e, wantErr: ErrKey},
		"another scheme": {key: k, fn: "GetClaimDetails", tx: "tx-1", e: &Envelope{Sealed: "rot13", Box: e.Box}, wantErr: ErrNotSealed},
		"no envelope":    {key: k, fn: "GetClaimDetails", tx: "tx-1", e: nil, wantErr: ErrNotSealed},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Open(tc.key, tc.fn, tc.tx, tc.e)
			require.Nil(t, got)
			require.True(t, errors.Is(err, tc.wantErr), "got %v, want %v", err, tc.wantErr)
		})
	}
}

func TestParse(t *testing.T) {
	for _, p := range []string{``, `null`, `{}`, `{"claimId":"x"}`, `[1]`, `{"sealed":"aes-256-gcm/v0","box":""}`} {
		_, err := Parse([]byte(p))
		require.ErrorIs(t, err, ErrNotSealed, "payload %s", p)
		require.False(t, IsSealed([]byte(p)))
	}
	_, err := Seal(make([]byte, 31), "F", "tx", nil)
	require.ErrorIs(t, err, ErrKey)
}
