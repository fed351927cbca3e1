package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
)

// TestConsentVerifyTakesTheSaltedAnchor: consent verify sends the document's HMAC under --salt (or
// --anchor as given), never a plain digest, and refuses --document without --salt.
func TestConsentVerifyTakesTheSaltedAnchor(t *testing.T) {
	var mu sync.Mutex
	var calls []sdktest.Call
	conn := testClient(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
		mu.Lock()
		calls = append(calls, call)
		mu.Unlock()
		return json.Marshal(consenttypes.Verification{RecordID: call.Args[0], Result: consenttypes.Match})
	})
	doc := filepath.Join(t.TempDir(), "lab.txt")
	require.NoError(t, os.WriteFile(doc, []byte("negative"), 0o600))
	const salt = "c2FsdHNhbHRzYWx0c2FsdA"
	want, err := consenttypes.Anchor(salt, []byte("negative"))
	require.NoError(t, err)

	_, errOut, code := runHlctl(t, conn, nil, "consent", "verify", "r-1", "--document", doc, "--salt", salt)
	require.Equal(t, 0, code, errOut)
	_, errOut, code = runHlctl(t, conn, nil, "consent", "verify", "r-1", "--anchor", want)
	require.Equal(t, 0, code, errOut)
	mu.Lock()
	require.Len(t, calls, 2)
	for _, c := range calls {
		require.Equal(t, "VerifyRecord", c.Function)
		require.Equal(t, []string{"r-1", want}, c.Args)
	}
	mu.Unlock()

	_, errOut, code = runHlctl(t, conn, nil, "consent", "verify", "r-1", "--document", doc)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--salt")
	_, _, code = runHlctl(t, conn, nil, "consent", "verify", "r-1", "--document", doc, "--salt", "QQ")
	require.NotEqual(t, 0, code, "a one-byte salt is refused")
	mu.Lock()
	require.Len(t, calls, 2, "refused locally, nothing sent")
	mu.Unlock()
}
