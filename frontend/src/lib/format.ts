// Formatting helpers. All times from the API are UTC RFC 3339; they are shown
// in the browser's local time zone.

const pad = (n: number) => String(n).padStart(2, '0');

export function parseTime(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return isNaN(d.getTime()) || d.getUTCFullYear() <= 1 ? null : d;
}

export function fmtDateTime(iso: string | null | undefined): string {
  const d = parseTime(iso);
  if (!d) return '—';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fmtDate(iso: string | null | undefined): string {
  const d = parseTime(iso);
  if (!d) return '—';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function fmtTime(d: Date): string {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "2026-12-01 08:00 → 12:00" or "2026-12-01 08:00 → 2026-12-02 06:00". */
export function fmtWindow(start: string | null | undefined, end: string | null | undefined): string {
  const s = parseTime(start);
  const e = parseTime(end);
  if (!s && !e) return 'not scheduled';
  if (!s || !e) return `${fmtDateTime(start)} → ${fmtDateTime(end)}`;
  if (sameDay(s, e)) return `${fmtDateTime(start)} → ${fmtTime(e)}`;
  return `${fmtDateTime(start)} → ${fmtDateTime(end)}`;
}

export function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** ISO UTC string → value for <input type="datetime-local"> (local time). */
export function toLocalInput(iso: string | null | undefined): string {
  const d = parseTime(iso);
  if (!d) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** <input type="datetime-local"> value (local time) → ISO UTC string without milliseconds. */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  if (isNaN(d.getTime())) return '';
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function fmtRelative(iso: string | null | undefined): string {
  const d = parseTime(iso);
  if (!d) return '—';
  const secs = Math.round((Date.now() - d.getTime()) / 1000);
  const abs = Math.abs(secs);
  const suffix = secs >= 0 ? 'ago' : 'from now';
  if (abs < 60) return secs >= 0 ? 'just now' : 'in a moment';
  if (abs < 3600) return `${Math.round(abs / 60)} min ${suffix}`;
  if (abs < 86400) return `${Math.round(abs / 3600)} h ${suffix}`;
  return fmtDateTime(iso);
}

export function stateLabel(state: string): string {
  return state.replace(/-/g, ' ');
}

export function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** Short JSON-ish rendering of an audit value for compact diffs. */
export function shortValue(v: unknown, max = 80): string {
  let s: string;
  if (v === null || v === undefined) s = '∅';
  else if (typeof v === 'string') s = v === '' ? '""' : v;
  else s = JSON.stringify(v);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

export interface DiffRow {
  key: string;
  before: unknown;
  after: unknown;
  kind: 'added' | 'removed' | 'changed';
}

/** Changed top-level keys between two audit snapshots. */
export function diffObjects(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
): DiffRow[] {
  const asObj = (v: unknown): Record<string, unknown> =>
    v === null || v === undefined ? {} : typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  const b = asObj(before);
  const a = asObj(after);
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  const rows: DiffRow[] = [];
  for (const key of keys) {
    if (key === 'updated_at') continue;
    const inB = key in b;
    const inA = key in a;
    const bv = b[key];
    const av = a[key];
    if (inB && inA && JSON.stringify(bv) === JSON.stringify(av)) continue;
    // A field that appears empty says nothing worth showing.
    if (!inB && (av === '' || av === false || av === null || (Array.isArray(av) && av.length === 0))) continue;
    rows.push({ key, before: bv, after: av, kind: !inB ? 'added' : !inA ? 'removed' : 'changed' });
  }
  return rows;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Compact window for cards: "18 Nov 08:00–11:00", "18 Nov → 19 Nov", with the year when not this year. */
export function fmtWindowShort(start: string | null | undefined, end: string | null | undefined): string {
  const s = parseTime(start);
  const e = parseTime(end);
  if (!s) return 'not scheduled';
  const thisYear = new Date().getFullYear();
  const d = (x: Date) => `${x.getDate()} ${MONTHS[x.getMonth()]}${x.getFullYear() !== thisYear ? ' ' + x.getFullYear() : ''}`;
  if (!e) return `${d(s)} ${fmtTime(s)}`;
  if (sameDay(s, e)) return `${d(s)} ${fmtTime(s)}–${fmtTime(e)}`;
  return `${d(s)} ${fmtTime(s)} → ${d(e)} ${fmtTime(e)}`;
}

/** "1 h 05 min", "4 min 10 s", "12 s" for a span in milliseconds. */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${pad(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${pad(m % 60)} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "in 1 h 05 min" until an instant, or "expired". */
export function fmtCountdown(iso: string | null | undefined, now: number): string {
  const d = parseTime(iso);
  if (!d) return '—';
  const left = d.getTime() - now;
  if (left <= 0) return 'expired';
  return `in ${fmtDuration(left)}`;
}

/** Milliseconds as "850 ms" or "1.2 s". */
export function fmtMillis(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
}

/** "14:03:07" local time of an instant (with the date when not today). */
export function fmtClock(iso: string | null | undefined): string {
  const d = parseTime(iso);
  if (!d) return '—';
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return sameDay(d, new Date()) ? t : `${fmtDate(iso)} ${t}`;
}
