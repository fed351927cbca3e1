package bench

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNiceAxis(t *testing.T) {
	tests := []struct {
		top        float64
		n          int
		max, step  float64
		ticks      int
		firstLabel string
		lastLabel  string
	}{
		{310, 6, 400, 100, 5, "0", "400"}, // the step is never less than top/n
		{740, 6, 800, 200, 5, "0", "800"},
		{100, 5, 100, 20, 6, "0", "100"},
		{1, 4, 1, 0.25, 5, "0.00", "1.00"},
		{0.7, 6, 0.8, 0.2, 5, "0.0", "0.8"},
		{14, 6, 15, 2.5, 7, "0.0", "15.0"},
		{1234, 6, 1250, 250, 6, "0", "1250"},
		{3, 1, 4, 2, 3, "0", "4"}, // n below 2 is taken as 2
	}
	for _, tc := range tests {
		a, err := NiceAxis(tc.top, tc.n)
		require.NoError(t, err)
		require.InDelta(t, tc.step, a.Step, 1e-9, "top %v", tc.top)
		require.InDelta(t, tc.max, a.Max, 1e-9, "top %v", tc.top)
		require.GreaterOrEqual(t, a.Max, tc.top)
		require.Len(t, a.Ticks, tc.ticks, "top %v", tc.top)
		require.Equal(t, tc.firstLabel, a.TickLabel(a.Ticks[0]))
		require.Equal(t, tc.lastLabel, a.TickLabel(a.Ticks[len(a.Ticks)-1]))
	}
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		_, err := NiceAxis(bad, 5)
		require.ErrorIs(t, err, ErrChart, "top %v", bad)
	}
}

func goldenSeries(t *testing.T) []ChartSeries {
	t.Helper()
	s, err := SweepSeries(goldenSweep())
	require.NoError(t, err)
	return s
}

func TestSweepSeries(t *testing.T) {
	s := goldenSeries(t)
	require.Len(t, s, 2, "provenance-verify has no point with a result")
	require.Equal(t, BaselineWrite, s[0].Name)
	require.Equal(t, []ChartPoint{{8, 61.5, 120, 180}, {24, 170, 135, 260}, {100, 310, 290, 740}}, s[0].Points)
	require.Len(t, s[1].Points, 2, "the point whose operations all failed is left out")

	_, err := SweepSeries(&SweepReport{Points: []SweepPoint{{Workload: BaselineWrite, Concurrency: 8, Error: "prepare failed"}}})
	require.ErrorIs(t, err, ErrChart)
	_, err = SweepSeries(nil)
	require.ErrorIs(t, err, ErrChart)
}

// TestRenderSweepChartGolden pins the chart byte for byte. After an intended change, rewrite it with:
// go test ./internal/bench -run TestRenderSweepChartGolden -update
func TestRenderSweepChartGolden(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, RenderSweepChart(&buf, "Throughput & latency <by concurrency>", goldenSeries(t)))
	path := filepath.Join("testdata", "bench-sweep.svg")
	if *update {
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), buf.String())

	t.Run("the same input gives the same bytes", func(t *testing.T) {
		var again bytes.Buffer
		require.NoError(t, RenderSweepChart(&again, "Throughput & latency <by concurrency>", goldenSeries(t)))
		require.Equal(t, buf.String(), again.String())
	})
}

// svgElem is what the well-formedness test reads back.
type svgElem struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []svgElem  `xml:",any"`
}

func (e svgElem) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (e svgElem) walk(fn func(svgElem)) {
	fn(e)
	for _, k := range e.Kids {
		k.walk(fn)
	}
}

func TestRenderSweepChartIsWellFormedSVG(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, RenderSweepChart(&buf, "a & b", goldenSeries(t)))
	var root svgElem
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	require.NoError(t, dec.Decode(&root))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		cd, ok := tok.(xml.CharData)
		require.True(t, ok && strings.TrimSpace(string(cd)) == "", "nothing but white space after the root element: %v", tok)
	}
	require.Equal(t, "svg", root.XMLName.Local)
	require.Equal(t, "http://www.w3.org/2000/svg", root.XMLName.Space)

	var solid, dashed, labels int
	var texts []string
	root.walk(func(e svgElem) {
		switch e.XMLName.Local {
		case "polyline":
			if e.attr("stroke-dasharray") == "" {
				solid++
				require.Equal(t, "p50", e.attr("class"))
			} else {
				dashed++
				require.Equal(t, "p99", e.attr("class"))
			}
			// Points run left to right: throughput grows with concurrency in the golden sweep.
			prev := -1.0
			for _, xy := range strings.Fields(e.attr("points")) {
				var x float64
				_, err := fmt.Sscan(strings.Split(xy, ",")[0], &x)
				require.NoError(t, err)
				require.Greater(t, x, prev)
				require.GreaterOrEqual(t, x, float64(plotLeft))
				require.LessOrEqual(t, x, float64(plotRight))
				prev = x
			}
		case "text":
			texts = append(texts, e.Text)
			if strings.HasPrefix(e.Text, "c=") && !strings.Contains(e.Text, " ") {
				labels++
			}
		}
	})
	require.Equal(t, 2, solid)
	require.Equal(t, 2, dashed)
	require.Equal(t, 2*(3+2), labels, "every point of both lines of both series is labelled")
	require.Contains(t, texts, "a & b")
	require.Contains(t, texts, BaselineWrite)
	require.Contains(t, texts, ConsentGrant)
	require.Contains(t, texts, "latency (ms)")
}

func TestRenderSweepChartRefusesBadInput(t *testing.T) {
	good := func() []ChartSeries {
		return []ChartSeries{{Name: "w", Points: []ChartPoint{{8, 10, 100, 200}, {24, 20, 150, 300}}}}
	}
	tests := map[string]func([]ChartSeries) []ChartSeries{
		"no series":              func([]ChartSeries) []ChartSeries { return nil },
		"a series with no point": func(s []ChartSeries) []ChartSeries { s[0].Points = nil; return s },
		"a series with no name":  func(s []ChartSeries) []ChartSeries { s[0].Name = " "; return s },
		"a zero throughput":      func(s []ChartSeries) []ChartSeries { s[0].Points[1].TPS = 0; return s },
		"a NaN p50":              func(s []ChartSeries) []ChartSeries { s[0].Points[0].P50Ms = math.NaN(); return s },
		"an infinite p99":        func(s []ChartSeries) []ChartSeries { s[0].Points[0].P99Ms = math.Inf(1); return s },
		"a negative p99":         func(s []ChartSeries) []ChartSeries { s[0].Points[1].P99Ms = -3; return s },
		"a zero concurrency":     func(s []ChartSeries) []ChartSeries { s[0].Points[0].Concurrency = 0; return s },
		"too many series": func(s []ChartSeries) []ChartSeries {
			for range len(chartColors) {
				s = append(s, s[0])
			}
			return s
		},
	}
	for name, mutate := range tests {
		t.Run(name+" is an error and writes nothing", func(t *testing.T) {
			var buf bytes.Buffer
			err := RenderSweepChart(&buf, "t", mutate(good()))
			require.ErrorIs(t, err, ErrChart)
			require.Zero(t, buf.Len())
		})
	}
	require.NoError(t, RenderSweepChart(io.Discard, "t", good()))
	t.Run("a failing writer is an error", func(t *testing.T) {
		err := RenderSweepChart(failWriter{}, "t", good())
		require.Error(t, err)
		require.False(t, errors.Is(err, ErrChart))
	})
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
