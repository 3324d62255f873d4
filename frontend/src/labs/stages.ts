import {
  imageImportStageValues,
  labCreateStageValues,
  labPeriodStageValues,
  labTeardownStageValues,
  type Operation,
  type OperationStages,
} from '../lib/api';

// The stages of each operation kind, in order, come from the API document
// (components OperationStages, generated from the Go stage types): a kind or
// a stage the server adds is a type error here until it has its labels.

/** A kind of operation whose stages the document lists. */
export type StagedKind = keyof OperationStages;
/** A stage of some operation kind. */
export type Stage = OperationStages[StagedKind][number];

/** Per kind, its stages in the order the server runs them. */
export const STAGES: { readonly [K in StagedKind]: ReadonlyArray<OperationStages[K][number]> } = {
  'lab.create': labCreateStageValues,
  'lab.teardown': labTeardownStageValues,
  'lab.test-period': labPeriodStageValues,
  'ci.import': imageImportStageValues,
};

export const STAGE_LABELS: Record<Stage, string> = {
  capture: 'Capture',
  network: 'Network',
  clone: 'Clone',
  boot: 'Boot',
  apply: 'Apply package',
  'test-period': 'Test period',
  cancel: 'Stop running operation',
  'remove-vms': 'Remove VMs',
  bases: 'Merge bases',
  connect: 'Connect',
  stream: 'Stream disk',
  done: 'Done',
};

export const STAGE_HINTS: Record<Stage, string> = {
  capture: 'live snapshot of each production disk',
  network: 'isolated lab network',
  clone: 'linked clones (qcow2 overlays)',
  boot: 'boot the clones, wait for the guest agent',
  apply: 'copy the package in, run install and verify',
  'test-period': 'run the checks at the interval',
  cancel: 'cancel the build or test period still running, if any',
  'remove-vms': 'destroy the clones and their overlays',
  bases: 'merge the production overlays back',
  connect: 'SSH to the machine, check its host key',
  stream: 'read the device with dd into a libvirt volume',
  done: 'finished',
};

const isStaged = (kind: string): kind is StagedKind => Object.hasOwn(STAGES, kind);

/** The ordered stages a kind of operation goes through, when known. */
export function stagesFor(kind: string): readonly Stage[] {
  return isStaged(kind) ? STAGES[kind] : [];
}

export type StepState = 'done' | 'current' | 'failed' | 'todo';

export function stepState(op: Operation, stages: readonly Stage[], i: number): StepState {
  if (op.status === 'success') return 'done';
  const at = (stages as readonly string[]).indexOf(op.stage);
  if (at < 0) return 'todo';
  if (i < at) return 'done';
  if (i > at) return 'todo';
  if (op.status === 'failure' || op.status === 'cancelled' || op.status === 'cancelling') return 'failed';
  return 'current';
}

export const isActive = (op: Operation | null | undefined) =>
  !!op && (op.status === 'pending' || op.status === 'running' || op.status === 'cancelling');

/** A newer snapshot of the same operation wins; events may overtake a GET. */
export function newerOp(cur: Operation | null, next: Operation): boolean {
  if (!cur || String(cur.id) !== String(next.id)) return true;
  // An operation that ended never runs again: a slow answer read before the
  // end (with the same millisecond stamp) must not bring it back to life.
  const ended = (o: Operation) => o.status === 'success' || o.status === 'failure' || o.status === 'cancelled';
  if (ended(cur) && !ended(next)) return false;
  return new Date(next.updated_at).getTime() >= new Date(cur.updated_at).getTime();
}

/** What each kind of operation is called; a staged kind without a name is a type error. */
const KIND_LABELS: Record<StagedKind | 'demo.production', string> = {
  'lab.create': 'Create lab',
  'lab.teardown': 'Tear down lab',
  'lab.test-period': 'Test period',
  'ci.import': 'Import disk image',
  'demo.production': 'Demo production VMs',
};

/** Other spellings of the test period's kind. */
const KIND_ALIASES: Record<string, StagedKind> = { 'lab.test_period': 'lab.test-period', 'lab.period': 'lab.test-period' };

export function kindLabel(kind: string): string {
  const k = KIND_ALIASES[kind] ?? kind;
  return Object.hasOwn(KIND_LABELS, k) ? KIND_LABELS[k as keyof typeof KIND_LABELS] : kind;
}
