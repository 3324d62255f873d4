// Package linediff compares two texts line by line (a longest common
// subsequence after trimming the common head and tail) and answers the
// differences as unified-diff hunks with context lines.
package linediff

import (
	"fmt"
	"strings"
)

// Op says what a line of a diff is.
type Op string

// The ops of a diff line.
const (
	Same   Op = "="
	Delete Op = "-"
	Insert Op = "+"
)

// EnumValues lists the ops, for the API document.
func (Op) EnumValues() []string { return []string{string(Same), string(Delete), string(Insert)} }

// Line is one line of a hunk.
type Line struct {
	Op   Op     `json:"op"`
	Text string `json:"text"`
}

// Hunk is a run of changes with the context around them; starts are
// 1-based line numbers as in `diff -u`.
type Hunk struct {
	OldStart int    `json:"old_start"`
	OldLines int    `json:"old_lines"`
	NewStart int    `json:"new_start"`
	NewLines int    `json:"new_lines"`
	Lines    []Line `json:"lines"`
}

// MaxCells bounds the LCS table (old lines × new lines after trimming the
// common head and tail); larger inputs are refused with ErrTooLarge.
const MaxCells = 4 << 20

// TooLargeError is a pair of texts too different and too long to compare
// line by line in bounded memory.
type TooLargeError struct{ Old, New int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%d and %d changed lines are too many to compare line by line", e.Old, e.New)
}

// SplitLines splits a text into lines without their line ends; a final
// newline does not make an empty last line.
func SplitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// Edits returns the line-by-line script that turns a into b: every line of
// a and b once, in order, as Same, Delete or Insert.
func Edits(a, b []string) ([]Line, error) {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	ma, mb := a[head:len(a)-tail], b[head:len(b)-tail]
	n, m := len(ma), len(mb)
	if n > 0 && m > 0 && n*m > MaxCells {
		return nil, &TooLargeError{Old: n, New: m}
	}
	out := make([]Line, 0, len(a)+len(b))
	for _, l := range a[:head] {
		out = append(out, Line{Same, l})
	}
	// lcs[i*(m+1)+j] is the LCS length of ma[i:] and mb[j:].
	lcs := make([]int32, (n+1)*(m+1))
	w := m + 1
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if ma[i] == mb[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else if lcs[(i+1)*w+j] >= lcs[i*w+j+1] {
				lcs[i*w+j] = lcs[(i+1)*w+j]
			} else {
				lcs[i*w+j] = lcs[i*w+j+1]
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && ma[i] == mb[j]:
			out = append(out, Line{Same, ma[i]})
			i++
			j++
		case j < m && (i == n || lcs[i*w+j+1] > lcs[(i+1)*w+j]):
			out = append(out, Line{Insert, mb[j]})
			j++
		default:
			out = append(out, Line{Delete, ma[i]})
			i++
		}
	}
	for _, l := range a[len(a)-tail:] {
		out = append(out, Line{Same, l})
	}
	return out, nil
}

// Unified compares two texts and answers the hunks of their differences
// with up to context unchanged lines around each (none when equal).
func Unified(a, b string, context int) ([]Hunk, error) {
	edits, err := Edits(SplitLines(a), SplitLines(b))
	if err != nil {
		return nil, err
	}
	hunks := []Hunk{}
	oldNo, newNo := 0, 0 // lines of a and b consumed before edits[k]
	type pos struct{ k, old, new int }
	var at []pos
	for k, e := range edits {
		at = append(at, pos{k, oldNo, newNo})
		if e.Op != Insert {
			oldNo++
		}
		if e.Op != Delete {
			newNo++
		}
	}
	k := 0
	for k < len(edits) {
		if edits[k].Op == Same {
			k++
			continue
		}
		start := max(k-context, 0)
		end := k // one past the last line of the hunk
		for end < len(edits) {
			if edits[end].Op != Same {
				end++
				continue
			}
			// a run of Same lines: the hunk ends unless another change is near
			run := end
			for run < len(edits) && edits[run].Op == Same {
				run++
			}
			if run < len(edits) && run-end <= 2*context {
				end = run
				continue
			}
			end = min(end+context, len(edits))
			break
		}
		h := Hunk{OldStart: at[start].old + 1, NewStart: at[start].new + 1, Lines: append([]Line(nil), edits[start:end]...)}
		for _, l := range h.Lines {
			if l.Op != Insert {
				h.OldLines++
			}
			if l.Op != Delete {
				h.NewLines++
			}
		}
		// diff -u numbers an empty side by the line before it
		if h.OldLines == 0 {
			h.OldStart--
		}
		if h.NewLines == 0 {
			h.NewStart--
		}
		hunks = append(hunks, h)
		k = end
	}
	return hunks, nil
}

// Format renders hunks as the body of a unified diff (from the @@ lines on).
func Format(hunks []Hunk) string {
	var b strings.Builder
	for _, h := range hunks {
		fmt.Fprintf(&b, "@@ -%d,%d +%d,%d @@\n", h.OldStart, h.OldLines, h.NewStart, h.NewLines)
		for _, l := range h.Lines {
			op := string(l.Op)
			if l.Op == Same {
				op = " "
			}
			b.WriteString(op + l.Text + "\n")
		}
	}
	return b.String()
}
