package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/healthledger/healthledger/internal/fakepeer"
	"github.com/healthledger/healthledger/internal/testpki"
	"github.com/stretchr/testify/require"
)

func TestCobraCommandLine(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "help of a group lists its commands", args: []string{"help", "consent"}, code: 0, stdout: "record-history"},
		{name: "a group's --help lists its commands", args: []string{"provenance", "--help"}, code: 0, stdout: "clear-excursion"},
		{name: "help shows the chaincode groups apart", args: []string{"help"}, code: 0, stdout: "Chaincode command groups"},
		{name: "a group without a subcommand is a usage error", args: []string{"claims"}, code: 2, stdout: "adjudicate", stderr: "claims: no subcommand given"},
		{name: "a mistyped command gets a suggestion", args: []string{"whoamii"}, code: 2, stderr: "did you mean whoami?"},
		{name: "a mistyped subcommand gets a suggestion", args: []string{"events", "tial"}, code: 2, stderr: "did you mean tail?"},
		{name: "an unknown flag of a subcommand is a usage error", args: []string{"events", "tail", "--nope", "consent"}, code: 2, stderr: "events tail: unknown flag: --nope"},
		{name: "a bad flag value is a usage error", args: []string{"events", "tail", "--count", "many", "consent"}, code: 2, stderr: "invalid argument"},
		{name: "bash completion is generated", args: []string{"completion", "bash"}, code: 0, stdout: "bash completion"},
		{name: "zsh completion is generated", args: []string{"completion", "zsh"}, code: 0, stdout: "#compdef hlctl"},
		{name: "fish completion is generated", args: []string{"completion", "fish"}, code: 0, stdout: "complete -c hlctl"},
		{name: "a usage error is JSON with --json", args: []string{"--json", "frobnicate"}, code: 2, stderr: `"usage":true`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runHlctl(t, nil, nil, tc.args...)
			require.Equal(t, tc.code, code, "stderr: %s", errOut)
			require.Contains(t, out, tc.stdout)
			require.Contains(t, errOut, tc.stderr)
			if tc.code == 2 {
				require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
			}
		})
	}
}

func TestCompletionOffersTheNetworksIdentitiesAndChaincodes(t *testing.T) {
	ca, err := testpki.NewCA("test-ca")
	require.NoError(t, err)
	n := fakepeer.WriteNetwork(t, t.TempDir(), ca, []string{"127.0.0.1:1"},
		fakepeer.User{Name: "patient1", Org: "hospital", Role: "patient", Subject: "pat-7f3a9c21"},
		fakepeer.User{Name: "auditor1", Org: "insurer", Role: "auditor", Subject: "AUD-0001"})

	out, errOut, code := runHlctl(t, nil, nil, "__complete", "--network", n.Profiles, "whoami", "--identity", "aud")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "auditor1\tauditor InsurerMSP")
	require.NotContains(t, out, "patient1")

	_, _, code = runHlctl(t, nil, nil, "__complete", "--network", n.Profiles, "evaluate", "")
	require.Equal(t, 0, code)
}

func TestTheTimeoutFlagBoundsTheCommand(t *testing.T) {
	c := testClient(t, func(ctx context.Context, _ sdktest.Call) ([]byte, error) {
		dl, ok := ctx.Deadline()
		require.True(t, ok, "the call has a deadline")
		return []byte(`"` + dl.Format("2006") + `"`), nil
	})
	_, errOut, code := runHlctl(t, c, nil, "--timeout", "5s", "evaluate", "consent", "Get", "c-1")
	require.Equal(t, 0, code, errOut)
}

func TestJSONInputFilesAreDecodedStrictly(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		return path
	}
	trailing := write("trailing.json", `{"id":"c-1"} {"id":"c-2"}`)
	stray := write("stray.json", `{"gtin":"00614141000418"}]`)
	unknown := write("unknown.json", `{"header":{},"details":{},"extra":1}`)
	c := testClient(t, func(context.Context, sdktest.Call) ([]byte, error) {
		t.Error("a refused input file must not reach the chaincode")
		return nil, nil
	})
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"a consent followed by another value is refused", []string{"consent", "grant", trailing}, "the consent in " + trailing + " has data after its JSON value"},
		{"a provenance request followed by a stray bracket is refused", []string{"provenance", "register-product", stray}, "the request in " + stray + " has data after its JSON value"},
		{"a claim with an unknown field is refused", []string{"claims", "submit", unknown}, `unknown field "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runHlctl(t, c, nil, tc.args...)
			require.Equal(t, 2, code, errOut)
			require.Empty(t, out)
			require.Contains(t, errOut, tc.want)
		})
	}
}
