import type { ReleaseState } from '../lib/api';

/** Button label for moving a release into a state. */
export const TRANSITION_LABELS: Record<ReleaseState, string> = {
  planned: 'Back to planned',
  building: 'Start build',
  testing: 'Start testing',
  'awaiting-approval': 'Request approval',
  approved: 'Approve',
  rejected: 'Reject',
  deploying: 'Start deployment',
  deployed: 'Mark deployed',
  failed: 'Mark failed',
  'rolled-back': 'Roll back',
  reviewed: 'Mark reviewed',
  closed: 'Close release',
  cancelled: 'Cancel release',
};

/** Labels that depend on where the release is: a move back says so. */
const FROM_LABELS: Partial<Record<ReleaseState, Partial<Record<ReleaseState, string>>>> = {
  testing: { building: 'Back to building' },
  'awaiting-approval': { testing: 'Withdraw request' },
  rejected: { building: 'Back to building', testing: 'Back to testing' },
  'rolled-back': { building: 'Rebuild' },
};

/** The words of the button that moves a release from one state into another. */
export function transitionLabel(from: ReleaseState, to: ReleaseState): string {
  return FROM_LABELS[from]?.[to] ?? TRANSITION_LABELS[to] ?? to;
}

/** Moves that step back along the main path (shown after the forward ones, not as the primary action). */
export function isBackward(from: ReleaseState, to: ReleaseState): boolean {
  return !!FROM_LABELS[from]?.[to] && from !== 'rolled-back' && from !== 'rejected';
}

export const DANGER_TRANSITIONS: ReleaseState[] = ['rejected', 'failed', 'rolled-back', 'cancelled'];

/** States in which a release's plan can still be edited (the server has the last word). */
export const EDITABLE_STATES: ReleaseState[] = ['planned', 'building', 'rejected'];
