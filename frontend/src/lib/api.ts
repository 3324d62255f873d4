// The one API client of the Shakedown frontend.
// Every request goes to a relative /api/v1 path so the same bundle works when
// served by the Go web server, through the Vite dev proxy, or in a Wails window.

// ---------------------------------------------------------------- shapes

export type Role = 'tester' | 'manager' | 'admin';
export const ROLES: Role[] = ['tester', 'manager', 'admin'];

export type ReleaseType = 'major' | 'minor' | 'emergency';
export const RELEASE_TYPES: ReleaseType[] = ['major', 'minor', 'emergency'];

export type RiskLevel = 'low' | 'medium' | 'high';
export const CHANGE_RISKS: RiskLevel[] = ['low', 'medium', 'high'];

export type Criticality = 'low' | 'medium' | 'high' | 'critical';
export const CRITICALITIES: Criticality[] = ['low', 'medium', 'high', 'critical'];

export type CIKind = 'vm' | 'host';
export const CI_KINDS: CIKind[] = ['vm', 'host'];

export type Recurrence = 'none' | 'weekly' | 'monthly' | 'yearly';
export const RECURRENCES: Recurrence[] = ['none', 'weekly', 'monthly', 'yearly'];

export type ReleaseState =
  | 'planned'
  | 'building'
  | 'testing'
  | 'awaiting-approval'
  | 'approved'
  | 'deploying'
  | 'deployed'
  | 'reviewed'
  | 'closed'
  | 'rejected'
  | 'failed'
  | 'rolled-back'
  | 'cancelled';

/** The main path of the lifecycle, in order. */
export const MAIN_STATES: ReleaseState[] = [
  'planned',
  'building',
  'testing',
  'awaiting-approval',
  'approved',
  'deploying',
  'deployed',
  'reviewed',
  'closed',
];
/** Terminal or off-path outcomes. */
export const OTHER_STATES: ReleaseState[] = ['rejected', 'failed', 'rolled-back', 'cancelled'];
export const ALL_STATES: ReleaseState[] = [...MAIN_STATES, ...OTHER_STATES];
/** Transitions into these states need a reason. */
export const REASON_REQUIRED: ReleaseState[] = ['rejected', 'cancelled', 'failed', 'rolled-back'];

export interface User {
  id: number;
  username: string;
  display_name: string;
  roles: Role[];
  disabled: boolean;
  created_at: string;
}

export interface Session {
  user: User;
  csrf_token: string;
}

export interface Token {
  id: number;
  name: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export interface NewToken {
  token: Token;
  secret: string;
}

export interface Change {
  id?: number;
  rfc: string;
  title: string;
  risk: RiskLevel;
  link: string;
}

export interface CI {
  id: number;
  name: string;
  kind: CIKind;
  environment: string;
  criticality: Criticality;
  description: string;
  /** libvirt host the VM lives on (kind vm); empty: not in libvirt */
  libvirt_host?: string;
  /** libvirt domain name of the VM (kind vm); empty: not in libvirt */
  libvirt_domain?: string;
}

export interface CIInput {
  name: string;
  kind: CIKind;
  environment: string;
  criticality: Criticality;
  description?: string;
  libvirt_host?: string;
  libvirt_domain?: string;
}

export interface ReleaseInput {
  name: string;
  version: string;
  type: ReleaseType;
  description: string;
  owner: string;
  environment: string;
  planned_start: string;
  planned_end: string;
  changes: Change[];
  ci_ids: number[];
  depends_on: number[];
}

export type ConflictKind = 'freeze' | 'ci_overlap' | 'dependency';

export interface Conflict {
  kind: ConflictKind;
  message: string;
  release_id?: number;
  freeze_id?: number;
}

export interface RiskSummary {
  score: number;
  level: RiskLevel;
}

export interface RiskReason {
  factor: string;
  points: number;
  detail: string;
}

export interface ReleaseSummary {
  id: number;
  name: string;
  version: string;
  type: ReleaseType;
  state: ReleaseState;
  environment: string;
  owner: string;
  planned_start: string;
  planned_end: string;
  risk: RiskSummary;
  conflicts: Conflict[] | null;
  ci_count: number;
  change_count: number;
  /** true when the release took the emergency (expedited) path */
  expedited?: boolean;
  updated_at: string;
}

export interface ReleaseRef {
  id: number;
  name: string;
  version: string;
  state: ReleaseState;
  planned_start: string;
  planned_end: string;
}

export interface Transition {
  from: ReleaseState | '';
  to: ReleaseState;
  actor: string;
  at: string;
  reason: string;
  expedited: boolean;
}

export interface Release extends Omit<ReleaseSummary, 'risk'> {
  description: string;
  created_at: string;
  created_by: string;
  changes: Change[] | null;
  cis: CI[] | null;
  depends_on: ReleaseRef[] | null;
  risk: RiskSummary & { reasons: RiskReason[] | null };
  transitions: Transition[] | null;
  allowed_transitions: ReleaseState[] | null;
  expedited: boolean;
  /** the package attached now (null: none yet) */
  package: PackageSummary | null;
  /** digest of the package the sign-off approved ('' until approved); deploying must use it */
  approved_digest: string;
  /** post-implementation review (null: none yet) */
  review: Review | null;
  /** closed releases are read-only: every write answers 409 */
  read_only: boolean;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | number;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  hash: string;
  prev_hash: string;
}

export interface AuditVerify {
  ok: boolean;
  entries: number;
  first_bad_id: number;
  message: string;
}

export interface FreezeWindow {
  id: number;
  name: string;
  reason: string;
  start: string;
  end: string;
  recurrence: Recurrence;
  environment: string;
}

export interface FreezeInput {
  name: string;
  reason: string;
  start: string;
  end: string;
  recurrence: Recurrence;
  environment: string;
}

export interface FreezeOccurrence {
  freeze_id: number;
  name: string;
  reason: string;
  environment: string;
  start: string;
  end: string;
}

export interface CalendarData {
  releases: ReleaseSummary[] | null;
  freezes: FreezeOccurrence[] | null;
}

export type OperationStatus = 'pending' | 'running' | 'success' | 'failure' | 'cancelling' | 'cancelled';

export interface Operation {
  /** opaque string id (the server's operation ids are strings) */
  id: string;
  kind: string;
  status: OperationStatus;
  stage: string;
  percent: number;
  message: string;
  error: string;
  entity: string;
  entity_id: string | number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** A disk image imported into a libvirt volume for a CI (P2V). */
export interface Image {
  id: number;
  ci_id: number;
  host: string;
  volume: string;
  path: string;
  /** format of the stored volume */
  format: 'qcow2' | 'raw' | string;
  /** format of what was sent */
  source_format: 'raw' | 'qcow2' | 'vmdk' | string;
  /** virtual size of the disk, bytes */
  capacity: number;
  /** bytes received */
  bytes: number;
  sha256: string;
  origin: string;
  created_by: string;
  created_at: string;
}

/** P2V over SSH: read a physical machine's disk device with dd. */
export interface SSHSource {
  /** host:port */
  address: string;
  user: string;
  password?: string;
  private_key?: string;
  /** e.g. /dev/sda */
  device: string;
  /** SHA256:… (ssh-keygen -lf) */
  host_key_fingerprint?: string;
  insecure_ignore_host_key?: boolean;
  /** libvirt host to import into (default local) */
  host?: string;
}

/** Stages of a ci.import operation, in order. */
export const CI_IMPORT_STAGES = ['connect', 'stream', 'done'] as const;

export interface UploadOptions {
  origin?: string;
  host?: string;
  /** bytes sent so far of total */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

export interface HostStatus {
  cpu_percent: number;
  load1: number;
  mem_total: number;
  mem_used: number;
  mem_available: number;
  disk_path: string;
  disk_total: number;
  disk_free: number;
  sampled_at: string;
}

export interface Health {
  status: string;
  version: string;
  database: string;
}

export interface List<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface ReleaseQuery {
  state?: string;
  type?: string;
  environment?: string;
  q?: string;
  ci_id?: number;
  sort?: string;
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

export interface AuditQuery {
  entity?: string;
  entity_id?: string;
  actor?: string;
  limit?: number;
  offset?: number;
}

// ---------------------------------------------------------------- VM labs

export interface HostCapacity {
  mem_total: number;
  mem_free: number;
  disk_free: number;
  cpus: number;
  running_vms: number;
}

/** A libvirt host labs can be placed on. */
export interface Host {
  name: string;
  uri: string;
  pool_dir: string;
  console_dir?: string;
  connected: boolean;
  error: string;
  capacity: HostCapacity;
}

export interface HostInput {
  name: string;
  uri: string;
  pool_dir?: string;
}

/** A libvirt domain on a host (to register one as a CI). */
export interface HostDomain {
  name: string;
  active: boolean;
  /** true when the domain carries Shakedown metadata (a lab clone, or demo production) */
  ours: boolean;
  /** Shakedown metadata of the domain (empty for domains Shakedown did not make) */
  meta: { lab_id?: string; ci?: string; role?: string } | null;
}

export type LabStatus =
  | 'creating'
  | 'ready'
  | 'testing'
  | 'passed'
  | 'failed'
  | 'tearing-down'
  | 'torn-down'
  | 'error';
export const LAB_STATUSES: LabStatus[] = ['creating', 'ready', 'testing', 'passed', 'failed', 'tearing-down', 'torn-down', 'error'];

/** Stages of a lab.create operation, in order. */
export const LAB_CREATE_STAGES = ['capacity', 'capture', 'network', 'clone', 'boot', 'apply', 'test-period'] as const;

export interface LabVMBase {
  id?: number;
  kind: string;
  path: string;
  format?: string;
  quiesced: boolean;
  live: boolean;
  state?: string;
  origin?: string;
}

export interface LabVM {
  ci_id: number;
  ci_name: string;
  domain: string;
  volume?: string;
  state: string;
  base: LabVMBase | null;
}

export interface LabSummary {
  installs_passed?: number;
  installs_failed?: number;
  checks_passed: number;
  checks_failed: number;
  rounds: number;
  cancelled?: boolean;
}

export interface Lab {
  /** opaque string id */
  id: string;
  release_id: number;
  host: string;
  network: string;
  status: LabStatus;
  expires_at: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  /** the lab's current (or last) operation */
  operation_id: string;
  error: string;
  vms: LabVM[] | null;
  summary: LabSummary | null;
  /** what the lab was asked for */
  spec?: LabInput;
}

export interface PackageFile {
  path: string;
  content: string;
  mode?: string;
}

export interface PackageInput {
  name: string;
  files: PackageFile[];
  install: string;
  verify?: string;
}

export interface PeriodCheck {
  name: string;
  command: string;
}

export interface PeriodInput {
  interval_seconds: number;
  duration_seconds: number;
  checks: PeriodCheck[];
  continue_on_failure?: boolean;
}

export interface LabInput {
  ci_ids?: number[];
  host?: string;
  ttl_minutes?: number;
  package?: PackageInput;
  /** install a stored package (the release's) instead of an inline one; never both */
  package_digest?: Digest;
  test_period?: PeriodInput;
}

/** Answer of the lab actions that start an operation (202). */
export interface LabStarted {
  lab: Lab;
  operation: Operation;
}

export interface Evidence {
  id: number;
  release_id: number;
  lab_id: string;
  at: string;
  vm: string;
  kind: EvidenceKind;
  name: string;
  round: number;
  passed: boolean;
  exit_code: number;
  stdout: string;
  stderr: string;
  took_ms: number;
  /** digest of the release's package when the evidence was recorded ('' when none) */
  package_digest: string;
  /** who recorded it (manual evidence) or started the lab */
  added_by: string;
}

export type EvidenceKind = 'install' | 'check' | 'manual' | (string & {});

export interface EvidenceQuery {
  lab_id?: string;
  passed?: boolean;
  limit?: number;
  offset?: number;
}

export interface ReconcileHost {
  host: string;
  adopted: (string | Record<string, unknown>)[] | null;
  removed: (string | Record<string, unknown>)[] | null;
  errors: (string | Record<string, unknown>)[] | null;
}

export interface ReconcileReport {
  at: string;
  hosts: ReconcileHost[] | null;
}

// ---------------------------------------------------------------- packages, sign-off, notes, review

/** "sha256:<64 hex>" */
export type Digest = string;

export interface ManifestFile {
  /** path in the archive */
  src: string;
  /** absolute path on the target */
  dest: string;
  /** octal, e.g. 0644 */
  mode: string;
}

export interface HealthCheck {
  name: string;
  command: string;
  interval_seconds: number;
  timeout_seconds: number;
}

/** What a release package installs and how (commands run in the package dir). */
export interface Manifest {
  name: string;
  version: string;
  description: string;
  install: string;
  verify: string;
  rollback: string;
  files: ManifestFile[];
  health_checks: HealthCheck[];
}

export interface PackageEntry {
  path: string;
  size: number;
  mode: string;
  type: 'file' | 'dir' | 'symlink';
  sha256: string;
  link?: string;
}

export type PackageFormat = 'tar.gz' | 'zip';

export interface Package {
  digest: Digest;
  name: string;
  version: string;
  description: string;
  format: PackageFormat;
  size: number;
  filename: string;
  manifest: Manifest;
  /** null in lists */
  entries: PackageEntry[] | null;
  created_by: string;
  created_at: string;
  /** the same bytes were already stored */
  existed?: boolean;
}

export interface PackageSummary {
  digest: Digest;
  name: string;
  version: string;
  size: number;
  format: string;
  created_by: string;
  created_at: string;
}

export interface AttachedPackage {
  package: PackageSummary;
  attached_by: string;
  attached_at: string;
  current: boolean;
}

/** A file of a package assembled by the server. */
export interface AssembleFile {
  path: string;
  content: string;
  encoding: 'text' | 'base64';
  mode?: string;
}

export interface AssembleInput {
  /** attach the package to this release */
  release_id?: number;
  manifest: Manifest;
  files: AssembleFile[];
}

export interface PackageUploadOptions {
  /** name of the archive (its extension tells .tar.gz from .zip) */
  filename?: string;
  /** attach the package to this release */
  release_id?: number;
  /** bytes sent so far of total */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

export interface ManualCheck {
  name: string;
  passed: boolean;
  output: string;
}

/** A test run done outside Shakedown's labs, recorded by hand. */
export interface ManualEvidenceInput {
  name: string;
  target: string;
  checks: ManualCheck[];
}

export type Decision = 'approve' | 'reject';
export type DecisionStatus = 'valid' | 'void' | 'superseded' | 'rejection';

export interface SignOffDecision {
  id: number;
  decision: Decision;
  actor: string;
  reason: string;
  at: string;
  package_digest: Digest;
  evidence_digest: string;
  evidence_count: number;
  round: number;
  status: DecisionStatus;
  /** why an approval stopped counting, a sentence */
  void_reason: string;
}

export interface SignOffPolicy {
  /** '*' = every environment */
  environment: string;
  type: string;
  required: number;
}

export interface SignOff {
  /** release state */
  state: ReleaseState;
  /** approvals needed by the policy */
  required: number;
  policy: SignOffPolicy;
  /** approvals that count now */
  valid: number;
  /** 1 for the first time at sign-off, +1 each time the release comes back to it */
  round: number;
  /** evidence taken with the current package */
  package_evidence: { count: number; passed: number; failed: number };
  /** may the caller reject now (a manager who approved may still reject) */
  can_reject: boolean;
  /** current package ('' when none) */
  package_digest: Digest;
  /** set once approved: what deploying must use */
  approved_digest: Digest;
  evidence_digest: string;
  evidence_count: number;
  evidence_passed: number;
  evidence_failed: number;
  /** the caller may approve or reject now */
  can_decide: boolean;
  /** why not, a sentence */
  cannot_decide_reason: string;
  /** emergency release: an approval needs a justification */
  needs_justification: boolean;
  builders: string[];
  testers: string[];
  /** newest first */
  decisions: SignOffDecision[];
}

export type ReviewOutcome = 'successful' | 'partially-successful' | 'failed' | 'rolled-back';
export const REVIEW_OUTCOMES: ReviewOutcome[] = ['successful', 'partially-successful', 'failed', 'rolled-back'];

export interface Incident {
  title: string;
  /** RFC 3339 */
  detected_at: string;
  /** RFC 3339, or '' when not restored */
  restored_at: string;
}

export interface FollowUp {
  action: string;
  owner: string;
  /** YYYY-MM-DD or '' */
  due: string;
}

export interface ReviewInput {
  outcome: ReviewOutcome;
  incidents: Incident[];
  deviations: string;
  lessons: string;
  follow_ups: FollowUp[];
}

/** Post-implementation review of a release. */
export interface Review extends ReviewInput {
  reviewer: string;
  reviewed_at: string;
}

export interface Notes {
  markdown: string;
  /** the Markdown rendered and sanitised by the server */
  html: string;
  /** generated from the release (nobody saved notes yet) */
  generated: boolean;
  published: boolean;
  published_at: string;
  published_by: string;
  updated_at: string;
  updated_by: string;
}

// ---------------------------------------------------------------- errors

export type ErrorCode =
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'rate_limited'
  | 'too_large'
  | 'unavailable'
  | 'internal'
  | 'network';

export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | string;
  readonly field: string;

  constructor(status: number, code: string, message: string, field = '') {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** A human sentence for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

// ---------------------------------------------------------------- transport

const BASE = '/api/v1';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken = '';
let unauthorizedHandler: (() => void) | null = null;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when an authenticated request answers 401 (session expired). */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function buildUrl(path: string, query?: Query): string {
  let url = BASE + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      params.set(k, String(v));
    }
    const qs = params.toString();
    if (qs) url += '?' + qs;
  }
  return url;
}

export async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let res: Response;
  try {
    res = await fetch(buildUrl(path, query), {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'Cannot reach the Shakedown server. Check your connection.');
  }

  if (res.status === 204) return undefined as T;

  const text = await res.text();
  const data = parseBody(text);
  if (!res.ok) {
    if (res.status === 401 && path !== '/auth/login' && path !== '/auth/me' && unauthorizedHandler) {
      unauthorizedHandler();
    }
    throw errorFrom(res.status, text, data, 'Request failed');
  }
  return data as T;
}

/** The JSON of an answer body, or undefined when it is empty or not JSON. */
function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An ApiError from a failed answer: the error envelope, else the plain text, else a sentence. */
function errorFrom(status: number, text: string, data: unknown, failed: string): ApiError {
  const envelope = (data as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
  return new ApiError(
    status,
    envelope?.code ?? codeForStatus(status),
    envelope?.message ?? (text && !data ? text.trim().slice(0, 200) : `${failed} (HTTP ${status}).`),
    envelope?.field ?? '',
  );
}

interface BlobUploadOptions {
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * POSTs a file as the raw body (application/octet-stream). XMLHttpRequest
 * rather than fetch, for upload progress (xhr.upload.onprogress).
 */
function uploadBlob<T>(path: string, query: Query, file: Blob, opts: BlobUploadOptions = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', buildUrl(path, query));
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      const text = xhr.responseText;
      const data = parseBody(text);
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data as T);
        return;
      }
      if (xhr.status === 401 && unauthorizedHandler) unauthorizedHandler();
      reject(errorFrom(xhr.status, text, data, 'Upload failed'));
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

/** A digest as a path segment (the colon of "sha256:" stays readable). */
function digestPath(digest: Digest): string {
  return encodeURIComponent(digest).replace(/%3A/gi, ':');
}

/** Go encodes empty slices as null: make the arrays of a package arrays. */
function normPackage(p: Package): Package {
  const m = p.manifest ?? ({} as Partial<Manifest>);
  return {
    ...p,
    manifest: {
      name: m.name ?? '',
      version: m.version ?? '',
      description: m.description ?? '',
      install: m.install ?? '',
      verify: m.verify ?? '',
      rollback: m.rollback ?? '',
      files: m.files ?? [],
      health_checks: m.health_checks ?? [],
    },
  };
}

function normSignOff(s: SignOff): SignOff {
  return { ...s, decisions: s.decisions ?? [], builders: s.builders ?? [], testers: s.testers ?? [] };
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
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

/** Normalises a list answer: a null items array becomes []. */
export function list<T>(l: List<T> | T[] | null | undefined): List<T> {
  if (Array.isArray(l)) return { items: l, total: l.length, limit: l.length, offset: 0 };
  return {
    items: l?.items ?? [],
    total: l?.total ?? l?.items?.length ?? 0,
    limit: l?.limit ?? 0,
    offset: l?.offset ?? 0,
  };
}

// ---------------------------------------------------------------- endpoints

export const api = {
  health: () => request<Health>('GET', '/health'),

  // auth
  async login(username: string, password: string): Promise<Session> {
    const s = await request<Session>('POST', '/auth/login', { username, password });
    setCsrfToken(s.csrf_token);
    return s;
  },
  async logout(): Promise<void> {
    try {
      await request<void>('POST', '/auth/logout');
    } finally {
      setCsrfToken('');
    }
  },
  async me(): Promise<Session> {
    const s = await request<Session>('GET', '/auth/me');
    setCsrfToken(s.csrf_token);
    return s;
  },
  listTokens: async () => (await request<{ items: Token[] | null }>('GET', '/auth/tokens')).items ?? [],
  createToken: (name: string, expires_in_days?: number) =>
    request<NewToken>('POST', '/auth/tokens', { name, expires_in_days }),
  deleteToken: (id: number) => request<void>('DELETE', `/auth/tokens/${id}`),

  // users
  listUsers: async (q: { limit?: number; offset?: number } = {}) =>
    list(await request<List<User>>('GET', '/users', undefined, { limit: 200, ...q })),
  createUser: (u: { username: string; display_name: string; password: string; roles: Role[] }) =>
    request<User>('POST', '/users', u),
  updateUser: (id: number, patch: { display_name?: string; password?: string; roles?: Role[]; disabled?: boolean }) =>
    request<User>('PATCH', `/users/${id}`, patch),

  // releases
  listReleases: async (q: ReleaseQuery = {}) =>
    list(await request<List<ReleaseSummary>>('GET', '/releases', undefined, q as Query)),
  getRelease: (id: number) => request<Release>('GET', `/releases/${id}`),
  createRelease: (input: ReleaseInput) => request<Release>('POST', '/releases', input),
  updateRelease: (id: number, input: Partial<ReleaseInput>) => request<Release>('PATCH', `/releases/${id}`, input),
  /** digest: for a move to deploying, the approved package digest the deployment must use */
  transition: (id: number, to: ReleaseState, reason = '', digest?: Digest) =>
    request<Release>('POST', `/releases/${id}/transitions`, digest ? { to, reason, digest } : { to, reason }),
  releaseAudit: async (id: number) =>
    list(await request<List<AuditEntry>>('GET', `/releases/${id}/audit`, undefined, { limit: 200 })),

  // configuration items
  listCIs: async (q: { q?: string; kind?: string; environment?: string; limit?: number; offset?: number } = {}) =>
    list(await request<List<CI>>('GET', '/cis', undefined, { limit: 200, ...q })),
  createCI: (ci: CIInput) => request<CI>('POST', '/cis', ci),
  updateCI: (id: number, patch: Partial<CIInput>) => request<CI>('PATCH', `/cis/${id}`, patch),

  // disk images of a CI (P2V)
  listCIImages: async (id: number) => list(await request<List<Image> | Image[]>('GET', `/cis/${id}/images`)).items,
  uploadCIImage: (id: number, file: Blob, opts: UploadOptions = {}) =>
    uploadBlob<Image>(`/cis/${id}/images`, { origin: opts.origin, host: opts.host }, file, opts),
  importCIImageSSH: (id: number, src: SSHSource) => request<Operation>('POST', `/cis/${id}/images/ssh`, src),

  // freeze windows
  listFreezes: async () => list(await request<List<FreezeWindow>>('GET', '/freezes', undefined, { limit: 200 })),
  createFreeze: (f: FreezeInput) => request<FreezeWindow>('POST', '/freezes', f),
  updateFreeze: (id: number, f: Partial<FreezeInput>) => request<FreezeWindow>('PATCH', `/freezes/${id}`, f),
  deleteFreeze: (id: number) => request<void>('DELETE', `/freezes/${id}`),

  // calendar
  async calendar(from: string, to: string): Promise<{ releases: ReleaseSummary[]; freezes: FreezeOccurrence[] }> {
    const c = await request<CalendarData>('GET', '/calendar', undefined, { from, to });
    return { releases: c?.releases ?? [], freezes: c?.freezes ?? [] };
  },

  // audit
  listAudit: async (q: AuditQuery = {}) => list(await request<List<AuditEntry>>('GET', '/audit', undefined, q as Query)),
  verifyAudit: () => request<AuditVerify>('GET', '/audit/verify'),

  // operations
  listOperations: async (q: { status?: string; kind?: string; limit?: number; offset?: number } = {}) =>
    list(await request<List<Operation>>('GET', '/operations', undefined, q)),
  getOperation: (id: string) => request<Operation>('GET', `/operations/${encodeURIComponent(id)}`),
  cancelOperation: (id: string) => request<Operation>('POST', `/operations/${encodeURIComponent(id)}/cancel`),

  // host
  host: () => request<HostStatus>('GET', '/host'),

  // libvirt hosts
  listHosts: async () => list(await request<List<Host> | Host[]>('GET', '/hosts')).items,
  createHost: (h: HostInput) => request<Host>('POST', '/hosts', h),
  deleteHost: (name: string) => request<void>('DELETE', `/hosts/${encodeURIComponent(name)}`),
  hostDomains: async (name: string) =>
    list(await request<List<HostDomain> | HostDomain[]>('GET', `/hosts/${encodeURIComponent(name)}/domains`)).items,

  // VM labs
  listLabs: async (q: { release_id?: number; status?: string; limit?: number; offset?: number } = {}) =>
    list(await request<List<Lab>>('GET', '/labs', undefined, { limit: 200, ...q })),
  getLab: (id: string) => request<Lab>('GET', `/labs/${encodeURIComponent(id)}`),
  createLab: (releaseId: number, input: LabInput) => request<LabStarted>('POST', `/releases/${releaseId}/labs`, input),
  startTestPeriod: (labId: string, input: PeriodInput) =>
    request<LabStarted>('POST', `/labs/${encodeURIComponent(labId)}/test-periods`, input),
  teardownLab: (labId: string) => request<LabStarted>('POST', `/labs/${encodeURIComponent(labId)}/teardown`),
  evidence: async (releaseId: number, q: EvidenceQuery = {}) =>
    list(await request<List<Evidence>>('GET', `/releases/${releaseId}/evidence`, undefined, { limit: 200, ...q })),
  reconcileReport: () => request<ReconcileReport>('GET', '/labs/reconcile'),
  /** Records a test run done by hand (evidence of kind manual). */
  addEvidence: async (releaseId: number, input: ManualEvidenceInput) =>
    (await request<{ items: Evidence[] | null }>('POST', `/releases/${releaseId}/evidence`, input)).items ?? [],

  // release packages
  /** Uploads a .tar.gz or .zip archive; with release_id it is attached to that release too. */
  uploadPackage: async (file: Blob, opts: PackageUploadOptions = {}) =>
    normPackage(
      await uploadBlob<Package>('/packages', { filename: opts.filename ?? (file instanceof File ? file.name : ''), release_id: opts.release_id }, file, opts),
    ),
  /** The server builds a deterministic .tar.gz from a manifest and files (same input → same digest). */
  assemblePackage: async (input: AssembleInput) => normPackage(await request<Package>('POST', '/packages/assemble', input)),
  listPackages: async (q: { q?: string; limit?: number; offset?: number } = {}) => {
    const l = list(await request<List<Package>>('GET', '/packages', undefined, { limit: 50, ...q }));
    return { ...l, items: l.items.map(normPackage) };
  },
  getPackage: async (digest: Digest) => normPackage(await request<Package>('GET', `/packages/${digestPath(digest)}`)),
  packageDownloadUrl: (digest: Digest) => buildUrl(`/packages/${digestPath(digest)}/download`),
  /** Attaches an already stored package to a release. */
  attachPackage: (releaseId: number, digest: Digest) => request<Release>('PUT', `/releases/${releaseId}/package`, { digest }),
  /** Packages attached to a release so far, newest first (the current one marked). */
  releasePackages: async (releaseId: number) =>
    (await request<{ items: AttachedPackage[] | null }>('GET', `/releases/${releaseId}/packages`)).items ?? [],

  // sign-off
  signoff: async (releaseId: number) => normSignOff(await request<SignOff>('GET', `/releases/${releaseId}/signoff`)),
  /** Approve or reject; a rejection needs a reason, an emergency approval a justification. */
  decide: async (releaseId: number, decision: Decision, reason = '') =>
    normSignOff(await request<SignOff>('POST', `/releases/${releaseId}/approvals`, { decision, reason })),

  // release notes, review, report
  notes: (releaseId: number) => request<Notes>('GET', `/releases/${releaseId}/notes`),
  saveNotes: (releaseId: number, markdown: string) => request<Notes>('PUT', `/releases/${releaseId}/notes`, { markdown }),
  publishNotes: (releaseId: number) => request<Notes>('POST', `/releases/${releaseId}/notes/publish`),
  /** Records (or edits) the post-implementation review; from deployed, failed or rolled-back the release moves to reviewed. */
  saveReview: (releaseId: number, input: ReviewInput) => request<Release>('PUT', `/releases/${releaseId}/review`, input),
  /** The printable HTML report of a release (open it in a new tab). */
  reportUrl: (releaseId: number) => buildUrl(`/releases/${releaseId}/report`),
};
