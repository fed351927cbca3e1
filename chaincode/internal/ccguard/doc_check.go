package ccguard

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Size writes a bound the way the Limits tables of docs/ write it: "256 B", "1 KiB", "288 KiB",
// "1 MiB".
func Size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " B"
}

// CheckDocumented returns an error unless the "## Limits" section of the markdown document doc has,
// for every transaction, a table row that names it (as `Name`) and gives its argument bound and
// each of its transient fields (as `field`) with its bound, in the form of [Size].
func (l Limits) CheckDocumented(doc []byte) error {
	rows := limitRows(doc)
	if rows == nil {
		return fmt.Errorf("the document has no \"## Limits\" section with a table")
	}
	var faults []string
	for _, fn := range mapsKeys(l) {
		f := l[fn]
		i := slices.IndexFunc(rows, func(r string) bool { return strings.Contains(r, "`"+fn+"`") })
		if i < 0 {
			faults = append(faults, fn+" has no row")
			continue
		}
		cells := strings.Split(strings.Trim(rows[i], "| "), "|")
		if len(cells) < 3 {
			faults = append(faults, fn+"'s row has fewer than 3 cells")
			continue
		}
		if got := strings.TrimSpace(cells[1]); got != Size(f.MaxArg) {
			faults = append(faults, fmt.Sprintf("%s: the row says %q per argument, the code %q", fn, got, Size(f.MaxArg)))
		}
		for field, n := range f.Transient {
			want := "`" + field + "` " + Size(n)
			if !strings.Contains(cells[2], want) {
				faults = append(faults, fmt.Sprintf("%s: the row lacks transient %s", fn, want))
			}
		}
		if len(f.Transient) == 0 && strings.Contains(cells[2], "`") {
			faults = append(faults, fn+": the row names a transient field the code does not bound")
		}
	}
	if len(faults) > 0 {
		return fmt.Errorf("the Limits table does not match the code: %s", strings.Join(faults, "; "))
	}
	return nil
}

// limitRows returns the table rows of the "## Limits" section, header and rule left out.
func limitRows(doc []byte) []string {
	var rows []string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			in = strings.TrimSpace(line) == "## Limits"
		case in && strings.HasPrefix(line, "|") && !strings.HasPrefix(line, "|---") && !strings.HasPrefix(line, "| Transaction"):
			rows = append(rows, line)
		}
	}
	return rows
}

func mapsKeys(l Limits) []string {
	out := make([]string, 0, len(l))
	for k := range l {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
