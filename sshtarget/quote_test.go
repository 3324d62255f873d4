package sshtarget

import (
	"os/exec"
	"strings"
	"testing"
)

// Quote survives a real POSIX shell: each argument arrives as it was.
func TestQuoteThroughSh(t *testing.T) {
	args := []string{"plain", "", "a b", "it's", `"double"`, "$HOME", "`id`", "$(id)", "a\nb", "*", "~", "-n", "x=1", `back\slash`, "'", "''", "ünïcödé", ";", "&&"}
	cmd := "printf '%s\\0' " + Command(args...)
	out, err := exec.Command("sh", "-c", cmd).Output()
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(args) {
		t.Fatalf("sh saw %d arguments %q, want %d", len(got), got, len(args))
	}
	for i := range args {
		if got[i] != args[i] {
			t.Errorf("argument %d: sh saw %q, want %q", i, got[i], args[i])
		}
	}
	for s, want := range map[string]string{"/opt/app-1.2/bin": "/opt/app-1.2/bin", "a b": "'a b'", "": "''", "x=1": "'x=1'"} {
		if q := Quote(s); q != want {
			t.Errorf("Quote(%q) = %s, want %s", s, q, want)
		}
	}
}

// The sudo command lines: "sudo -n" without a password, "sudo -S" with
// our prompt with one; both valid sh that run the command through the
// wrapper, with its arguments intact.
func TestSudoCommandConstruction(t *testing.T) {
	user := "printf '%s\\n' \"it's\" && exit 3"
	noPw := sudoCommand(user, false, "[PROMPT]", "OKTOKEN")
	if !strings.HasPrefix(noPw, "exec sudo -n -- sh -c ") || strings.Contains(noPw, "-S") || strings.Contains(noPw, "PROMPT") {
		t.Errorf("without a password: %s", noPw)
	}
	pw := sudoCommand(user, true, "[PROMPT]", "OKTOKEN")
	if !strings.HasPrefix(pw, "exec sudo -S -p '[PROMPT]' -- sh -c ") {
		t.Errorf("with a password: %s", pw)
	}
	for _, line := range []string{noPw, pw} {
		if out, err := exec.Command("sh", "-n", "-c", line).CombinedOutput(); err != nil {
			t.Errorf("sh -n rejects %s: %v %s", line, err, out)
		}
		// Run it here with a stand-in sudo that drops its options, as a
		// real sudo would after taking them.
		fake := "sudo() { while [ \"$1\" != -- ]; do shift; done; shift; \"$@\"; }; " + strings.TrimPrefix(line, "exec ")
		c := exec.Command("sh", "-c", fake)
		var stdout, stderr strings.Builder
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		ee, _ := err.(*exec.ExitError)
		if ee == nil || ee.ExitCode() != 3 || stdout.String() != "it's\n" || stderr.String() != "OKTOKEN\n" {
			t.Errorf("the command line ran as: %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
		}
	}
}

// The gate answers the first prompt with the password, calls a second
// one a refusal, and passes stderr through only after the root token.
func TestSudoGate(t *testing.T) {
	var stdin, stderr strings.Builder
	g := newSudoGate("s3cret", &stdin, &stderr)
	prompt, ok := string(g.prompt), string(g.ok)
	for _, chunk := range []string{"sudo: warn", "ing\n" + prompt[:5], prompt[5:], ok[:3], ok[3:] + "from the command\n", "more\n"} {
		g.Write([]byte(chunk))
	}
	if stdin.String() != "s3cret\n" {
		t.Errorf("the password sent: %q", stdin.String())
	}
	if stderr.String() != "from the command\nmore\n" || !g.started() {
		t.Errorf("stderr passed %q, started %v", stderr.String(), g.started())
	}
	if string(g.buf) != "sudo: warning\n" {
		t.Errorf("what sudo said: %q", g.buf)
	}
	select {
	case <-g.refused:
		t.Errorf("refused after one prompt")
	default:
	}

	g = newSudoGate("wrong", &stdin, &stderr)
	g.Write([]byte(string(g.prompt) + "Sorry, try again.\n" + string(g.prompt)))
	select {
	case <-g.refused:
	default:
		t.Errorf("a second prompt is not a refusal")
	}
	if g.started() {
		t.Errorf("started without the token")
	}
}
