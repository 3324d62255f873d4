// Client of the KPI, approvals inbox and approval policy endpoints
// (docs/api.md). Transport, errors and CSRF come from api.ts.

import { request, buildUrl, type ReleaseSummary, type ReleaseType } from './api';
import type { EventType } from './events';

// ---------------------------------------------------------------- KPIs

export type KPIBucket = 'day' | 'week' | 'month';
export const KPI_BUCKETS: KPIBucket[] = ['day', 'week', 'month'];

export interface KPIFigure {
  key: string;
  label: string;
  value: number | null;
  unit: string;
  /** the value formatted by the server, e.g. "4.2 h" */
  display: string;
  /** how the figure is computed, one or two sentences */
  definition: string;
  numerator: number;
  denominator: number;
  /** how many releases the figure is based on */
  n: number;
}

export interface KPISeries {
  key: string;
  label: string;
  unit: string;
  /** one value per bucket; null: nothing to measure in that bucket */
  values: (number | null)[];
}

export interface KPIWaiting {
  release_id: number;
  name: string;
  version: string;
  since: string;
  age_hours: number;
}

export interface KPIs {
  from: string;
  to: string;
  environment: string;
  bucket: KPIBucket | string;
  environments: string[];
  figures: KPIFigure[];
  trend: { buckets: string[]; series: KPISeries[] };
  waiting: KPIWaiting[];
}

/** Filters of GET /kpis and /kpis.csv; empty values are left out (server defaults). */
export type KPIQuery = {
  /** YYYY-MM-DD */
  from?: string;
  /** YYYY-MM-DD */
  to?: string;
  environment?: string;
  bucket?: KPIBucket;
};

function normaliseKPIs(k: KPIs): KPIs {
  return {
    ...k,
    environments: k.environments ?? [],
    figures: k.figures ?? [],
    trend: {
      buckets: k.trend?.buckets ?? [],
      series: (k.trend?.series ?? []).map((s) => ({ ...s, values: s.values ?? [] })),
    },
    waiting: k.waiting ?? [],
  };
}

/** Address of the CSV export for the same filters (for an <a download>). */
export function kpisCsvUrl(q: KPIQuery): string {
  return buildUrl('/kpis.csv', q);
}

// ---------------------------------------------------------------- approvals

export type MyDecision = '' | 'approve' | 'void';

export interface InboxItem {
  release: ReleaseSummary;
  waiting_since: string;
  age_hours: number;
  required: number;
  valid: number;
  void: number;
  my_decision: MyDecision;
  can_decide: boolean;
  cannot_decide_reason: string;
  package_digest: string;
}

export interface InboxCounts {
  waiting: number;
  needs_me: number;
  void: number;
}

export interface Inbox {
  items: InboxItem[];
  counts: InboxCounts;
}

export interface ApprovalPolicy {
  /** '*' = the default for every environment */
  environment: string;
  type: ReleaseType;
  required: number;
}

export const ANY_ENVIRONMENT = '*';
export const MIN_REQUIRED = 1;
export const MAX_REQUIRED = 5;

/** Events after which the approvals inbox may have changed. */
export const APPROVAL_EVENTS: EventType[] = ['release.updated', 'signoff.changed'];

// ---------------------------------------------------------------- endpoints

export const kpiApi = {
  kpis: async (q: KPIQuery = {}) => normaliseKPIs(await request<KPIs>('GET', '/kpis', undefined, q)),

  async inbox(): Promise<Inbox> {
    const r = await request<Partial<Inbox> | null>('GET', '/approvals/inbox');
    return {
      items: r?.items ?? [],
      counts: { waiting: 0, needs_me: 0, void: 0, ...r?.counts },
    };
  },

  listPolicies: async () =>
    (await request<{ items: ApprovalPolicy[] | null }>('GET', '/approval-policies'))?.items ?? [],
  savePolicy: (p: ApprovalPolicy) => request<ApprovalPolicy>('PUT', '/approval-policies', p),
  deletePolicy: (environment: string, type: ReleaseType) =>
    request<void>('DELETE', '/approval-policies', undefined, { environment, type }),
};
