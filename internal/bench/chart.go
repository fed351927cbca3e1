package bench

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ErrChart is returned for figures that cannot be charted: no series, no points, or a throughput
// or latency that is zero, negative, NaN or infinite.
var ErrChart = errors.New("cannot chart")

// ChartPoint is one measured point of a series: a concurrency and what it gave.
type ChartPoint struct {
	Concurrency int
	TPS         float64
	P50Ms       float64
	P99Ms       float64
}

// ChartSeries is one workload's points.
type ChartSeries struct {
	Name   string
	Points []ChartPoint
}

// SweepSeries turns a sweep into chart series, one per workload in the sweep's order, each ordered
// by concurrency. Points without a result, or whose operations all failed (no latency to plot), are
// left out: the table shows them. A sweep with nothing left to plot is an ErrChart.
func SweepSeries(rep *SweepReport) ([]ChartSeries, error) {
	if rep == nil {
		return nil, fmt.Errorf("%w: no sweep", ErrChart)
	}
	var out []ChartSeries
	index := map[string]int{}
	for _, p := range rep.Points {
		if p.Result == nil || p.Result.Stats.Succeeded == 0 {
			continue
		}
		i, ok := index[p.Workload]
		if !ok {
			i = len(out)
			index[p.Workload] = i
			out = append(out, ChartSeries{Name: p.Workload})
		}
		s := p.Result.Stats
		out[i].Points = append(out[i].Points, ChartPoint{Concurrency: p.Concurrency, TPS: s.TxPerSecond, P50Ms: s.Latency.P50Ms, P99Ms: s.Latency.P99Ms})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: the sweep has no measured point", ErrChart)
	}
	for i := range out {
		slices.SortStableFunc(out[i].Points, func(a, b ChartPoint) int { return a.Concurrency - b.Concurrency })
	}
	return out, nil
}

// Axis is a linear axis from 0 to Max, with ticks every Step.
type Axis struct {
	Max, Step float64
	Ticks     []float64
}

// NiceAxis is an axis from 0 that covers top with about n steps (at least 2) of 1, 2, 2.5 or 5
// times a power of ten. top must be a positive, finite number.
func NiceAxis(top float64, n int) (Axis, error) {
	if math.IsNaN(top) || math.IsInf(top, 0) || top <= 0 {
		return Axis{}, fmt.Errorf("%w: an axis needs a positive, finite top, not %v", ErrChart, top)
	}
	n = max(n, 2)
	raw := top / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if raw <= m*mag*(1+1e-9) {
			step = m * mag
			break
		}
	}
	count := int(math.Ceil(top/step - 1e-9))
	a := Axis{Step: step, Max: float64(count) * step}
	for i := 0; i <= count; i++ {
		a.Ticks = append(a.Ticks, float64(i)*step)
	}
	return a, nil
}

// TickLabel writes a tick value with no more decimals than the step needs.
func (a Axis) TickLabel(v float64) string {
	decimals := 0
	for s := a.Step; decimals < 6 && math.Abs(s-math.Round(s)) > 1e-9*math.Max(1, a.Step); s *= 10 {
		decimals++
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// The chart's geometry, in SVG user units.
const (
	chartW, chartH                        = 760, 460
	plotLeft, plotTop, plotRight, plotBot = 70, 50, 560, 400
)

// chartColors are the series' colours, in order (distinguishable in colour-blind palettes).
var chartColors = []string{"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"}

func checkFigure(series, what string, c int, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return fmt.Errorf("%w: %s at concurrency %d: %s is %v (it must be a positive number)", ErrChart, series, c, what, v)
	}
	return nil
}

// RenderSweepChart writes a throughput-latency chart as SVG: tx/s across, latency in ms up, one
// solid line per series for p50 and a dashed one for p99, each point labelled with its concurrency,
// and a legend. The output depends only on its input. Series with no point, a series without a
// name, or a figure that is zero, negative, NaN or infinite is an ErrChart, and nothing is written.
func RenderSweepChart(w io.Writer, title string, series []ChartSeries) error {
	if len(series) == 0 {
		return fmt.Errorf("%w: no series", ErrChart)
	}
	if len(series) > len(chartColors) {
		return fmt.Errorf("%w: at most %d series, got %d", ErrChart, len(chartColors), len(series))
	}
	var maxX, maxY float64
	for _, s := range series {
		if strings.TrimSpace(s.Name) == "" {
			return fmt.Errorf("%w: a series has no name", ErrChart)
		}
		if len(s.Points) == 0 {
			return fmt.Errorf("%w: %s has no point", ErrChart, s.Name)
		}
		for _, p := range s.Points {
			if p.Concurrency < 1 {
				return fmt.Errorf("%w: %s: concurrency %d", ErrChart, s.Name, p.Concurrency)
			}
			for _, f := range []struct {
				what string
				v    float64
			}{{"tx/s", p.TPS}, {"p50", p.P50Ms}, {"p99", p.P99Ms}} {
				if err := checkFigure(s.Name, f.what, p.Concurrency, f.v); err != nil {
					return err
				}
			}
			maxX = math.Max(maxX, p.TPS)
			maxY = math.Max(maxY, math.Max(p.P50Ms, p.P99Ms))
		}
	}
	xa, err := NiceAxis(maxX, 6)
	if err != nil {
		return err
	}
	ya, err := NiceAxis(maxY, 6)
	if err != nil {
		return err
	}
	px := func(v float64) float64 { return plotLeft + v/xa.Max*(plotRight-plotLeft) }
	py := func(v float64) float64 { return plotBot - v/ya.Max*(plotBot-plotTop) }

	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", chartW, chartH)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", plotLeft, esc(title))
	// Grid, ticks and tick labels.
	for _, t := range xa.Ticks {
		x := px(t)
		fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#e0e0e0"/>`+"\n", f1(x), plotTop, f1(x), plotBot)
		fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#000000"/>`+"\n", f1(x), plotBot, f1(x), plotBot+5)
		fmt.Fprintf(&b, `<text x="%s" y="%d" text-anchor="middle">%s</text>`+"\n", f1(x), plotBot+19, xa.TickLabel(t))
	}
	for _, t := range ya.Ticks {
		y := py(t)
		fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#e0e0e0"/>`+"\n", plotLeft, f1(y), plotRight, f1(y))
		fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#000000"/>`+"\n", plotLeft-5, f1(y), plotLeft, f1(y))
		fmt.Fprintf(&b, `<text x="%d" y="%s" text-anchor="end">%s</text>`+"\n", plotLeft-8, f1(y+4), ya.TickLabel(t))
	}
	// Axes and their titles.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000000"/>`+"\n", plotLeft, plotBot, plotRight, plotBot)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000000"/>`+"\n", plotLeft, plotTop, plotLeft, plotBot)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">throughput (tx/s committed, queries/s for queries)</text>`+"\n", (plotLeft+plotRight)/2, plotBot+42)
	fmt.Fprintf(&b, `<text x="18" y="%d" text-anchor="middle" transform="rotate(-90 18 %d)">latency (ms)</text>`+"\n", (plotTop+plotBot)/2, (plotTop+plotBot)/2)
	// One solid p50 and one dashed p99 line per series, its points marked and labelled.
	for i, s := range series {
		color := chartColors[i]
		fmt.Fprintf(&b, `<g id="series-%d">`+"\n", i)
		for _, line := range []struct {
			what, dash string
			at         func(ChartPoint) float64
		}{{"p50", "", func(p ChartPoint) float64 { return p.P50Ms }}, {"p99", ` stroke-dasharray="6 4"`, func(p ChartPoint) float64 { return p.P99Ms }}} {
			pts := make([]string, len(s.Points))
			for j, p := range s.Points {
				pts[j] = f1(px(p.TPS)) + "," + f1(py(line.at(p)))
			}
			fmt.Fprintf(&b, `<polyline class="%s" fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", line.what, color, line.dash, strings.Join(pts, " "))
			for _, p := range s.Points {
				x, y := px(p.TPS), py(line.at(p))
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", f1(x), f1(y), color)
				fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="10" fill="%s">c=%d</text>`+"\n", f1(x+5), f1(y-5), color, p.Concurrency)
			}
		}
		fmt.Fprintf(&b, "</g>\n")
	}
	// Legend: a line per series, then what solid and dashed mean.
	lx, ly := plotRight+20, plotTop+10
	for i, s := range series {
		y := ly + 20*i
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", lx, y, lx+24, y, chartColors[i])
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", lx+30, y+4, esc(s.Name))
	}
	y := ly + 20*len(series) + 10
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555555" stroke-width="2"/>`+"\n", lx, y, lx+24, y)
	fmt.Fprintf(&b, `<text x="%d" y="%d">p50</text>`+"\n", lx+30, y+4)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555555" stroke-width="2" stroke-dasharray="6 4"/>`+"\n", lx, y+20, lx+24, y+20)
	fmt.Fprintf(&b, `<text x="%d" y="%d">p99</text>`+"\n", lx+30, y+24)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10">c=N: N clients in flight</text>`+"\n", lx, y+48)
	fmt.Fprintf(&b, "</svg>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing the chart: %w", err)
	}
	return nil
}

// f1 writes a coordinate with one decimal.
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// esc escapes text for an SVG element.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}
