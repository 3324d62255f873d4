// The transport of the Shakedown frontend: the typed client generated from
// the OpenAPI document (openapi-fetch over schema.ts), and what is specific to
// this app around it — the CSRF header on writes, the hook for a session that
// expired (401), errors as ApiError sentences, uploads with progress (XHR),
// and addresses for downloads. Every request goes to a relative /api/v1 path,
// so the same bundle works from the Go server, the Vite dev proxy, and the
// desktop window (which serves or proxies the same paths).
//
//   const r = await ok(api.GET('/releases/{id}', { params: { path: { id } } }));
//   await done(api.DELETE('/freezes/{id}', { params: { path: { id } } }));

import createClient, { type Middleware } from 'openapi-fetch';
import type { paths, DiskImage, ErrorCode, Me, Package, RowError, TargetImportResult } from './schema';

export const BASE = '/api/v1';
const CSRF_HEADER = 'X-CSRF-Token';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken = '';
let unauthorizedHandler: (() => void) | null = null;

/** The session's CSRF token, sent on every write (from login or /auth/me). */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when an authenticated request answers 401 (the session expired). */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

/** Answers that say "not signed in" without meaning "your session expired". */
const SIGN_IN_PATHS = new Set(['/auth/login', '/auth/me']);

const transport: Middleware = {
  onRequest({ request }) {
    request.headers.set('Accept', 'application/json');
    if (UNSAFE.has(request.method) && csrfToken) request.headers.set(CSRF_HEADER, csrfToken);
    return request;
  },
  onResponse({ response, schemaPath }) {
    if (response.status === 401 && !SIGN_IN_PATHS.has(schemaPath)) unauthorizedHandler?.();
    return response;
  },
};

/** The API, typed by the OpenAPI document: api.GET('/releases', …). */
export const api = createClient<paths>({
  baseUrl: BASE,
  credentials: 'same-origin',
  // Lists in a query are comma-separated (state=planned,building).
  querySerializer: { array: { style: 'form', explode: false } },
});
api.use(transport);

// ---------------------------------------------------------------- errors

/** The codes of the document's errors, and two of the client's own. */
export type ApiErrorCode = ErrorCode | 'network' | 'aborted';

export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode | string;
  readonly field: string;
  /** every row's problems, when a bulk input (an import) was refused whole */
  readonly rows: RowError[];

  constructor(status: number, code: string, message: string, field = '', rows: RowError[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.rows = rows;
  }
}

/** A human sentence for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

const NETWORK = 'Cannot reach the Shakedown server. Check your connection.';

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 411:
    case 415:
    case 422:
      return 'invalid';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'too_large';
    case 429:
      return 'rate_limited';
    case 503:
      return 'unavailable';
    default:
      return 'internal';
  }
}

/** An ApiError from a failed answer: the error envelope, else its text, else a sentence. */
function errorFrom(status: number, body: unknown, failed: string): ApiError {
  const envelope = (body as { error?: { code?: string; message?: string; field?: string; rows?: RowError[] } } | undefined)?.error;
  const text = typeof body === 'string' ? body.trim().slice(0, 200) : '';
  return new ApiError(
    status,
    envelope?.code ?? codeForStatus(status),
    envelope?.message ?? (text || `${failed} (HTTP ${status}).`),
    envelope?.field ?? '',
    envelope?.rows ?? [],
  );
}

/** What a call of the generated client resolves to. */
interface Answer<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** The data of a successful answer; a failure (or no server) throws an ApiError. */
export async function ok<D>(call: Promise<Answer<D>>): Promise<D> {
  let answer: Answer<D>;
  try {
    answer = await call;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(0, 'network', NETWORK);
  }
  if (!answer.response.ok) throw errorFrom(answer.response.status, answer.error, 'Request failed');
  return answer.data as D;
}

/** Waits for a call that answers nothing (204); a failure throws an ApiError. */
export async function done(call: Promise<Answer<unknown>>): Promise<void> {
  await ok(call);
}

// ---------------------------------------------------------------- session

/** Signs in; the answer's CSRF token is sent on every write from now on. */
export async function login(username: string, password: string): Promise<Me> {
  const me = await ok(api.POST('/auth/login', { body: { username, password } }));
  setCsrfToken(me.csrf_token);
  return me;
}

/** The signed-in user (throws 401 when nobody is), and the session's CSRF token. */
export async function me(): Promise<Me> {
  const s = await ok(api.GET('/auth/me'));
  setCsrfToken(s.csrf_token);
  return s;
}

export async function logout(): Promise<void> {
  try {
    await done(api.POST('/auth/logout'));
  } finally {
    setCsrfToken('');
  }
}

// ---------------------------------------------------------------- uploads

export interface UploadOptions {
  /** bytes sent so far of total */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

type Query = Record<string, string | number | boolean | undefined | null>;

/** An /api/v1 address with a query (empty values left out), for links and uploads. */
export function url(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return BASE + path + (qs ? '?' + qs : '');
}

/**
 * POSTs a file as the raw body (application/octet-stream). XMLHttpRequest
 * rather than fetch, for upload progress (xhr.upload.onprogress).
 */
function uploadBlob<T>(path: string, query: Query, file: Blob, opts: UploadOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url(path, query));
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    if (csrfToken) xhr.setRequestHeader(CSRF_HEADER, csrfToken);
    xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: keep the text for the message
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body as T);
        return;
      }
      if (xhr.status === 401) unauthorizedHandler?.();
      reject(errorFrom(xhr.status, body, 'Upload failed'));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload was interrupted: cannot reach the Shakedown server.'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled.'));
    if (opts.signal) {
      if (opts.signal.aborted) {
        reject(new ApiError(0, 'aborted', 'Upload cancelled.'));
        return;
      }
      opts.signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(file);
  });
}

type PackageQuery = NonNullable<paths['/packages']['post']['parameters']['query']>;
type ImageQuery = NonNullable<paths['/cis/{id}/images']['post']['parameters']['query']>;

/** Uploads a .tar.gz or .zip package; with release_id it is attached to that release too. */
export function uploadPackage(file: Blob, query: PackageQuery, opts: UploadOptions = {}): Promise<Package> {
  return uploadBlob<Package>('/packages', query, file, opts);
}

/** P2V: streams a disk image into a libvirt volume for a configuration item. */
export function uploadCIImage(id: number, file: Blob, query: ImageQuery, opts: UploadOptions = {}): Promise<DiskImage> {
  return uploadBlob<DiskImage>(`/cis/${id}/images`, query, file, opts);
}

// ---------------------------------------------------------------- links

/** A digest as a path segment (the colon of "sha256:" stays readable). */
function digestPath(digest: string): string {
  return encodeURIComponent(digest).replace(/%3A/gi, ':');
}

/** The package archive, for an <a download>. */
export const packageDownloadUrl = (digest: string) => url(`/packages/${digestPath(digest)}/download`);

/** The printable HTML report of a release (open it in a new tab). */
export const reportUrl = (releaseId: number) => url(`/releases/${releaseId}/report`);

/** The KPIs as CSV for the same filters, for an <a download>. */
export const kpisCsvUrl = (q: NonNullable<paths['/kpis.csv']['get']['parameters']['query']>) => url('/kpis.csv', q);

// ---------------------------------------------------------------- imports

/**
 * Imports targets from a CSV file's text (header row name,address,port,user,
 * tags,environment,criticality[,password]); dryRun only checks it and says
 * what would be done. A refused file throws an ApiError whose rows name
 * every row at fault.
 */
export function importTargetsCSV(csv: string, dryRun: boolean): Promise<TargetImportResult> {
  return ok(
    api.POST('/targets/import', {
      params: { query: { dry_run: dryRun } },
      body: csv,
      bodySerializer: (b) => b,
      headers: { 'Content-Type': 'text/csv' },
    }),
  );
}
