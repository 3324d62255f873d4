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
  closed: 'Close',
  cancelled: 'Cancel release',
};

export const DANGER_TRANSITIONS: ReleaseState[] = ['rejected', 'failed', 'rolled-back', 'cancelled'];

/** States in which a release's plan can still be edited (the server has the last word). */
export const EDITABLE_STATES: ReleaseState[] = ['planned', 'building', 'rejected'];
