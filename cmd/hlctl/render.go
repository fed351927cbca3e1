package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// node is a JSON value with the order of object keys kept.
type node struct {
	kind   byte // 'o' object, 'a' array, 's' string, 'l' other literal
	keys   []string
	vals   []*node
	scalar string
}

func parseNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				v, err := parseNode(dec)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &node{kind: 'a'}
			for dec.More() {
				v, err := parseNode(dec)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token()
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &node{kind: 's', scalar: t}, nil
	case json.Number:
		return &node{kind: 'l', scalar: t.String()}, nil
	case bool:
		return &node{kind: 'l', scalar: fmt.Sprint(t)}, nil
	case nil:
		return &node{kind: 'l', scalar: "-"}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// renderReadable prints a JSON document for people: objects as "key: value" lines, arrays as "- "
// items, nested values indented by two spaces, empty values as "(none)".
func renderReadable(w io.Writer, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseNode(dec)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	var b strings.Builder
	writeNode(&b, n, 0)
	_, err = io.WriteString(w, b.String())
	return err
}

func (n *node) simple() bool { return n.kind == 's' || n.kind == 'l' || len(n.vals) == 0 }

func (n *node) inline() string {
	switch {
	case n.kind == 's' && n.scalar == "":
		return `""`
	case n.kind == 's' || n.kind == 'l':
		return n.scalar
	case n.kind == 'a':
		return "(none)"
	default:
		return "{}"
	}
}

func writeNode(b *strings.Builder, n *node, indent int) {
	pad := strings.Repeat("  ", indent)
	switch {
	case n.simple():
		b.WriteString(pad + n.inline() + "\n")
	case n.kind == 'o':
		for i, k := range n.keys {
			v := n.vals[i]
			if v.simple() {
				fmt.Fprintf(b, "%s%s: %s\n", pad, k, v.inline())
				continue
			}
			fmt.Fprintf(b, "%s%s:\n", pad, k)
			writeNode(b, v, indent+1)
		}
	case n.kind == 'a':
		for _, v := range n.vals {
			if v.simple() {
				fmt.Fprintf(b, "%s- %s\n", pad, v.inline())
				continue
			}
			// Print the first line of a nested value after the dash.
			var inner strings.Builder
			writeNode(&inner, v, indent+1)
			text := inner.String()
			b.WriteString(pad + "- " + strings.TrimPrefix(text, pad+"  "))
		}
	}
}

// indentJSON writes data indented by two spaces.
func indentJSON(w io.Writer, data []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "  "); err != nil {
		return fmt.Errorf("print: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
