// How screens group and order the lifecycle states (the states themselves,
// and their order, come from the API document: releaseStateValues).
import type { ReleaseState } from '../lib/api';

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
/** Transitions into these states need a reason. */
export const REASON_REQUIRED: ReleaseState[] = ['rejected', 'cancelled', 'failed', 'rolled-back'];
