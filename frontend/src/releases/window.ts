// Whether now falls inside a release's planned window, said in a sentence
// for the confirmations that start a deployment.
import { fmtWindow, parseTime } from '../lib/format';

function ago(ms: number): string {
  const min = Math.round(ms / 60000);
  if (min < 90) return `${min} minute${min === 1 ? '' : 's'}`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} hours`;
  const d = Math.round(h / 24);
  return `${d} days`;
}

/** A warning when now is outside the planned window, or '' when inside (or unplanned). */
export function windowWarning(start: string | null | undefined, end: string | null | undefined, now = new Date()): string {
  const s = parseTime(start);
  const e = parseTime(end);
  const win = fmtWindow(start, end);
  if (!s && !e) return 'This release has no planned window: the deployment is not on the release calendar.';
  if (s && now < s) return `Now is before the planned window (${win}): it opens in ${ago(s.getTime() - now.getTime())}. Deploy early only if the change owners agreed.`;
  if (e && now > e) return `Now is after the planned window (${win}): it closed ${ago(now.getTime() - e.getTime())} ago. Re-plan the window, or deploy late only if the change owners agreed.`;
  return '';
}
