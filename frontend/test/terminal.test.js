// The serial console's text model (src/labs/terminal.ts), compiled with the
// TypeScript compiler the frontend already has, then run on what a guest
// prints, split across WebSocket frames the way a loaded machine splits it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const src = await readFile(new URL('../src/labs/terminal.ts', import.meta.url), 'utf8');
const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
const file = path.join(await mkdtemp(path.join(tmpdir(), 'sd-terminal-')), 'terminal.mjs');
await writeFile(file, out);
const { appendConsole, cursorReport } = await import(file);

const feed = (...chunks) => chunks.reduce((text, c) => appendConsole(text, c), '');

test('CR LF split across frames keeps the line', () => {
  const whole = '# echo line-42\r\nline-42\r\n# ';
  for (let i = 0; i <= whole.length; i++) {
    assert.equal(feed(whole.slice(0, i), whole.slice(i)), '# echo line-42\nline-42\n# ', `split at ${i}`);
  }
});

test('a lone CR returns to the start of the line, which the next text replaces', () => {
  assert.equal(feed('# typed', '\r', '# retyped'), '# retyped');
  assert.equal(feed('a\nprogress 10%\rprogress 20%'), 'a\nprogress 20%');
});

test('backspaces, escape sequences and the cursor report', () => {
  assert.equal(feed('ab\x7fc \x1b[1;32mgreen\x1b[0m'), 'ac green');
  assert.equal(cursorReport('x\n# '), '\x1b[24;3R');
  assert.equal(cursorReport('x\n# \r'), '\x1b[24;1R');
});
