// The frontend's API types are generated from the committed OpenAPI document
// (docs/openapi.json, itself checked against the Go code by a Go test). This
// regenerates them and fails when the committed src/lib/api/schema.ts differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { generate, typesPath } from '../scripts/api-types.mjs';

test('src/lib/api/schema.ts is what docs/openapi.json generates (else: make api)', async () => {
  const [want, have] = await Promise.all([generate(), readFile(typesPath, 'utf8')]);
  assert.ok(want === have, 'src/lib/api/schema.ts is stale: run `make api` (or `npm run api`) and commit it');
});
