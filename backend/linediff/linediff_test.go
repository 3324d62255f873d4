package linediff

import (
	"errors"
	"strings"
	"testing"
)

// apply rebuilds both sides from an edit script.
func apply(edits []Line) (a, b []string) {
	for _, e := range edits {
		if e.Op != Insert {
			a = append(a, e.Text)
		}
		if e.Op != Delete {
			b = append(b, e.Text)
		}
	}
	return a, b
}

func TestEditsRebuildBothSidesWithFewestChanges(t *testing.T) {
	cases := []struct {
		a, b    string
		changes int // deletes + inserts of a shortest script
	}{
		{"", "", 0},
		{"a\nb\nc\n", "a\nb\nc\n", 0},
		{"", "x\ny\n", 2},
		{"x\ny\n", "", 2},
		{"a\nb\nc\n", "a\nB\nc\n", 2},
		{"a\nb\nc\nd\n", "b\nc\nd\ne\n", 2},
		{"a\nb\nc\na\nb\nb\na\n", "c\nb\na\nb\na\nc\n", 5}, // Myers' paper example: D = 5
	}
	for _, c := range cases {
		edits, err := Edits(SplitLines(c.a), SplitLines(c.b))
		if err != nil {
			t.Fatal(err)
		}
		a, b := apply(edits)
		if strings.Join(a, "\n") != strings.Join(SplitLines(c.a), "\n") || strings.Join(b, "\n") != strings.Join(SplitLines(c.b), "\n") {
			t.Errorf("%q → %q: script does not rebuild the sides: %v", c.a, c.b, edits)
		}
		n := 0
		for _, e := range edits {
			if e.Op != Same {
				n++
			}
		}
		if n != c.changes {
			t.Errorf("%q → %q: %d changes, want %d", c.a, c.b, n, c.changes)
		}
	}
}

func TestUnifiedMatchesDiffU(t *testing.T) {
	var a, b []string
	for i := 1; i <= 20; i++ {
		a = append(a, "line "+itoa(i))
		switch i {
		case 3:
			b = append(b, "line 3 changed")
		case 15:
			// removed
		default:
			b = append(b, "line "+itoa(i))
		}
	}
	b = append(b, "line 21")
	hunks, err := Unified(strings.Join(a, "\n")+"\n", strings.Join(b, "\n")+"\n", 3)
	if err != nil {
		t.Fatal(err)
	}
	// what `diff -u` prints for the same files
	want := `@@ -1,6 +1,6 @@
 line 1
 line 2
-line 3
+line 3 changed
 line 4
 line 5
 line 6
@@ -12,9 +12,9 @@
 line 12
 line 13
 line 14
-line 15
 line 16
 line 17
 line 18
 line 19
 line 20
+line 21
`
	if got := Format(hunks); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestUnifiedEdgeCases(t *testing.T) {
	if h, _ := Unified("same\n", "same\n", 3); len(h) != 0 {
		t.Errorf("equal texts gave %d hunks", len(h))
	}
	h, _ := Unified("", "new\n", 3)
	if got := Format(h); got != "@@ -0,0 +1,1 @@\n+new\n" {
		t.Errorf("a new file: %q", got)
	}
	h, _ = Unified("old\n", "", 3)
	if got := Format(h); got != "@@ -1,1 +0,0 @@\n-old\n" {
		t.Errorf("an emptied file: %q", got)
	}
	h, _ = Unified("a\r\nb\r\n", "a\nb\n", 3)
	if len(h) != 0 {
		t.Errorf("line ends alone gave a diff: %v", h)
	}
}

func TestTooLargeIsRefused(t *testing.T) {
	var a, b []string
	for i := 0; i < 3000; i++ {
		a = append(a, "a"+itoa(i))
		b = append(b, "b"+itoa(i))
	}
	_, err := Edits(a, b)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Old != 3000 {
		t.Fatalf("err = %v", err)
	}
	// the same length with a common head and tail is fine
	c := append(append([]string{}, a...), "x")
	if _, err := Edits(a, c); err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string {
	s := ""
	for {
		s = string(rune('0'+i%10)) + s
		i /= 10
		if i == 0 {
			return s
		}
	}
}
