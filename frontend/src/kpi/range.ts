// Time ranges of the KPI dashboard: presets relative to today, or custom dates.

import { fmtDate } from '../lib/format';
import { pathsKpisGetParametersQueryBucketValues, type paths } from '../lib/api';

/** Filters of GET /kpis and /kpis.csv; empty values are left to the server's defaults. */
export type KPIQuery = NonNullable<paths['/kpis']['get']['parameters']['query']>;
export type KPIBucket = NonNullable<KPIQuery['bucket']>;
export const KPI_BUCKETS: readonly KPIBucket[] = pathsKpisGetParametersQueryBucketValues;

export const RANGE_PRESETS = [30, 90, 180, 365] as const;
export const DEFAULT_DAYS = 90;
export const DEFAULT_BUCKET: KPIBucket = 'week';
/** value of the range select for custom dates */
export const CUSTOM = 'custom';

/** The last `days` days up to today, as local YYYY-MM-DD dates. */
export function presetRange(days: number, today = new Date()): { from: string; to: string } {
  const start = new Date(today);
  start.setDate(start.getDate() - days);
  return { from: fmtDate(start.toISOString()), to: fmtDate(today.toISOString()) };
}

export function isPreset(days: string): boolean {
  return (RANGE_PRESETS as readonly number[]).includes(Number(days));
}

export function isBucket(b: string | null): b is KPIBucket {
  return KPI_BUCKETS.includes(b as KPIBucket);
}

/** Problems with a custom range, by field (empty when fine). */
export function rangeErrors(from: string, to: string): Record<string, string> {
  const errs: Record<string, string> = {};
  if (!from) errs.from = 'Choose a start date.';
  if (!to) errs.to = 'Choose an end date.';
  if (from && to && from > to) errs.to = 'The end must be on or after the start.';
  return errs;
}
