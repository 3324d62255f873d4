// The rollout plan as the form writes it: wave sizes as a line of text
// ("1, 5, 20%, 100%"), failure limits as "0" or "10%", and what the screens
// say about rollouts and their targets.
import type { Rollout, RolloutSize, RolloutStatus, RolloutTargetRun, RolloutTargetState } from '../lib/api';

/** A size as typed: a whole number, or a percentage like "20%". Ranges are the server's to judge. */
const SIZE = /^(\d+)$|^(\d+(?:\.\d+)?)\s*%$/;

export interface ParsedSizes {
  sizes: RolloutSize[];
  /** a problem by field key ("waves" or "waves[2]") */
  errors: Record<string, string>;
}

/**
 * "1, 5, 20%, 100%" → [1, 5, "20%", "100%"]. Commas or spaces separate the
 * sizes; what is neither a count nor a percentage is named by its position,
 * as the server names it (waves[2]).
 */
export function parseWaves(text: string): ParsedSizes {
  const parts = text
    .split(/[,;\s]+/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  // "20 %" was split in two: join a lone "%" to the number before it
  const tokens: string[] = [];
  for (const p of parts) {
    if (p === '%' && tokens.length) tokens[tokens.length - 1] += '%';
    else tokens.push(p);
  }
  const sizes: RolloutSize[] = [];
  const errors: Record<string, string> = {};
  if (tokens.length === 0) errors.waves = 'Give the wave sizes, e.g. 1, 5, 20%, 100% (the last one repeats).';
  tokens.forEach((t, i) => {
    const s = parseSize(t);
    if (s === null) errors[`waves[${i}]`] = `“${t}” is not a count or a percentage like 20%.`;
    else if (typeof s === 'string' && !percentOK(s)) errors[`waves[${i}]`] = `${s} is not a percentage between 0 and 100.`;
    else sizes.push(s);
  });
  return { sizes, errors };
}

/** "5" → 5, "20%" → "20%", anything else → null. */
export function parseSize(text: string): RolloutSize | null {
  const m = SIZE.exec(text.trim());
  if (!m) return null;
  return m[1] !== undefined ? Number(m[1]) : `${m[2]}%`;
}

/** A percentage the server reads (above 0, at most 100): the server cannot name the field of one it cannot read. */
export function percentOK(s: string): boolean {
  const v = parseFloat(s);
  return v > 0 && v <= 100;
}

/** The sizes as the form shows them: "1, 5, 20%". */
export function formatSizes(sizes: RolloutSize[] | null | undefined): string {
  return (sizes ?? []).map(String).join(', ');
}

export const STATUS_LABEL: Record<RolloutStatus, string> = {
  running: 'running',
  paused: 'paused',
  'rolling-back': 'rolling back',
  succeeded: 'succeeded',
  failed: 'failed',
  'rolled-back': 'rolled back',
  aborted: 'aborted',
};

/** Whether a rollout still moves (its watcher runs): running, paused or rolling back. */
export function isActive(status: RolloutStatus): boolean {
  return status === 'running' || status === 'paused' || status === 'rolling-back';
}

export const TARGET_LABEL: Record<RolloutTargetState, string> = {
  pending: 'pending',
  preparing: 'snapshot',
  installing: 'installing',
  installed: 'gate',
  healthy: 'healthy',
  failed: 'failed',
  excluded: 'excluded',
  'rolling-back': 'rolling back',
  'rolled-back': 'rolled back',
};

/** A target's part is over (it counts as done in the progress). */
export function targetDone(t: RolloutTargetRun): boolean {
  return doneStates.includes(t.state);
}

const doneStates = ['healthy', 'failed', 'excluded', 'rolled-back'];

/** How many of a rollout's targets are done, and of how many, from its counts (a list has no targets). */
export function countDone(counts: Record<string, number> | null): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const [state, n] of Object.entries(counts ?? {})) {
    total += n;
    if (doneStates.includes(state)) done += n;
  }
  return { done, total };
}

/** The rollout with the targets of an event merged in: an event carries those that changed since the previous one. */
export function mergeTargets(have: Rollout | null, ev: Rollout): Rollout {
  if (!have || have.id !== ev.id) return ev;
  const changed = new Map(ev.targets.map((t) => [t.ci_id, t]));
  return { ...ev, targets: have.targets.map((t) => changed.get(t.ci_id) ?? t) };
}

/** "4f2a9c01d3e5b7a8" → "4f2a9c01". */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** The failure policy in a sentence, as the server says it before the start (FailurePolicy.Describe). */
export function policySentence(p: { per_wave: RolloutSize; total: RolloutSize; trip: string; on_breach: string }): string {
  const verb = p.trip === 'reached' ? 'as many as' : 'more than';
  const then = p.on_breach === 'pause' ? 'the rollout pauses for an admin to decide' : 'every changed target is rolled back at once';
  return `If ${verb} ${p.per_wave} targets of a wave, or ${verb} ${p.total} of all targets, fail, ${then}.`;
}
