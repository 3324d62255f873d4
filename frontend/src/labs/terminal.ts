// A serial console as plain text: what the guest prints, with ANSI escape
// sequences removed, carriage returns and backspaces applied, and the
// oldest lines dropped beyond a bound.

const ESC_RE = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78DEHMc]/g;

/**
 * Appends printed bytes (already decoded) to the text of the console. A
 * carriage return is kept at the end of the text until the next character
 * says what it was: CR LF is a line end (even when the two arrive in
 * different frames), a lone CR returns to the start of the line, which the
 * next printed character then overwrites.
 */
export function appendConsole(text: string, chunk: string, maxChars = 200_000): string {
  let out = text;
  for (const ch of chunk.replace(ESC_RE, '')) {
    const cr = out.endsWith('\r');
    if (ch === '\r') {
      if (!cr) out += ch;
      continue;
    }
    if (cr) {
      out = out.slice(0, -1);
      if (ch !== '\n') out = out.slice(0, out.lastIndexOf('\n') + 1); // a lone CR: back to the start of the line
    }
    if (ch === '\b' || ch === '\x7f') out = out.endsWith('\n') || out === '' ? out : out.slice(0, -1);
    else if (ch === '\n' || ch === '\t' || ch >= ' ') out += ch;
  }
  if (out.length > maxChars) {
    const cut = out.indexOf('\n', out.length - maxChars);
    out = out.slice(cut < 0 ? out.length - maxChars : cut + 1);
  }
  return out;
}

/** What a key press types into a serial console, or '' for none. */
export function keyBytes(e: KeyboardEvent): string {
  if (e.ctrlKey && !e.altKey && e.key.length === 1) {
    const c = e.key.toUpperCase().charCodeAt(0);
    return c >= 64 && c <= 95 ? String.fromCharCode(c - 64) : '';
  }
  if (e.metaKey || e.altKey) return '';
  switch (e.key) {
    case 'Enter':
      return '\r';
    case 'Backspace':
      return '\x7f';
    case 'Tab':
      return '\t';
    case 'Escape':
      return '\x1b';
    case 'ArrowUp':
      return '\x1b[A';
    case 'ArrowDown':
      return '\x1b[B';
    case 'ArrowRight':
      return '\x1b[C';
    case 'ArrowLeft':
      return '\x1b[D';
  }
  return e.key.length === 1 ? e.key : '';
}

/**
 * Splits what arrived into what can be shown now and an escape sequence cut
 * off at the end of the frame (kept for the next one).
 */
export function splitIncomplete(data: string): [string, string] {
  const at = data.lastIndexOf('\x1b');
  if (at < 0 || data.length - at > 32) return [data, ''];
  const tail = data.slice(at);
  ESC_RE.lastIndex = 0;
  const m = ESC_RE.exec(tail);
  ESC_RE.lastIndex = 0;
  if (m && m.index === 0) return [data, ''];
  return [data.slice(0, at), tail];
}

/** The device status report a shell asks for (ESC [ 6 n): where the cursor is. */
export const CURSOR_QUERY = '\x1b[6n';

/** The answer to CURSOR_QUERY once text is shown: row 24, the column after the last line. */
export function cursorReport(text: string): string {
  const col = text.endsWith('\r') ? 1 : text.length - (text.lastIndexOf('\n') + 1) + 1;
  return `\x1b[24;${col}R`;
}
