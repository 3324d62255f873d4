// Generates src/lib/api/schema.ts, the frontend's API types, from the
// OpenAPI document the Go server generates (docs/openapi.json, written by
// `go run ./scripts/openapi`). `--check` writes nothing and fails when the
// committed file differs from what the document gives (npm run build and
// make test run it).
//
//   npm run api          regenerate
//   npm run api:check    fail when stale

import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

export const documentPath = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));
export const typesPath = fileURLToPath(new URL('../src/lib/api/schema.ts', import.meta.url));

const header = `// Generated from docs/openapi.json by frontend/scripts/api-types.mjs: do not edit.
// Regenerate with \`make api\` (or \`npm run api\` after \`go run ./scripts/openapi\`).

`;

/** The TypeScript the current document gives. */
export async function generate() {
  const doc = JSON.parse(await readFile(documentPath, 'utf8'));
  const ast = await openapiTS(doc, {
    rootTypes: true,
    rootTypesNoSchemaPrefix: true,
    rootTypesKeepCasing: true,
    enumValues: true,
    alphabetize: true,
  });
  return header + astToString(ast);
}

/** Whether the committed file is what the document gives. */
export async function isCurrent() {
  const [want, have] = await Promise.all([generate(), readFile(typesPath, 'utf8').catch(() => '')]);
  return want === have;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    if (!(await isCurrent())) {
      console.error('src/lib/api/schema.ts is stale: run `make api` (or `npm run api`) and commit it.');
      process.exit(1);
    }
  } else {
    await writeFile(typesPath, await generate());
  }
}
