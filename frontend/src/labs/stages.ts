import type { Operation } from '../lib/api';

// The stages of each operation kind, in order. The Go side does not type them
// yet: once the lab service's stage types implement api.OperationStages, the
// document lists them (components OperationStages, and labCreateStageValues
// etc. in lib/api) and these three lists give way to those.

/** Stages of a lab.create operation, in order. */
export const LAB_CREATE_STAGES = ['capacity', 'capture', 'network', 'clone', 'boot', 'apply', 'test-period'] as const;
/** Stages of a ci.import operation, in order. */
export const CI_IMPORT_STAGES = ['connect', 'stream', 'done'] as const;

export const STAGE_LABELS: Record<string, string> = {
  capacity: 'Capacity',
  capture: 'Capture',
  network: 'Network',
  clone: 'Clone',
  boot: 'Boot',
  apply: 'Apply package',
  'test-period': 'Test period',
  'remove-vms': 'Remove VMs',
  bases: 'Merge bases',
  connect: 'Connect',
  stream: 'Stream disk',
  done: 'Done',
};

/** Stages of a lab.teardown operation, in order. */
export const TEARDOWN_STAGES = ['remove-vms', 'network', 'bases'] as const;

export const STAGE_HINTS: Record<string, string> = {
  capacity: 'check the host has room (memory, disk)',
  capture: 'live snapshot of each production disk',
  network: 'isolated lab network',
  clone: 'linked clones (qcow2 overlays)',
  boot: 'boot the clones, wait for the guest agent',
  apply: 'copy the package in, run install and verify',
  'test-period': 'run the checks at the interval',
  'remove-vms': 'destroy the clones and their overlays',
  bases: 'merge the production overlays back',
  connect: 'SSH to the machine, check its host key',
  stream: 'read the device with dd into a libvirt volume',
  done: 'record the image',
};

/** The ordered stages a kind of operation goes through, when known. */
export function stagesFor(kind: string): readonly string[] {
  if (kind === 'lab.create') return LAB_CREATE_STAGES;
  if (kind === 'lab.teardown') return TEARDOWN_STAGES;
  if (kind === 'ci.import') return CI_IMPORT_STAGES;
  return [];
}

export type StepState = 'done' | 'current' | 'failed' | 'todo';

export function stepState(op: Operation, stages: readonly string[], i: number): StepState {
  if (op.status === 'success') return 'done';
  const at = stages.indexOf(op.stage);
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

export function kindLabel(kind: string): string {
  switch (kind) {
    case 'lab.create':
      return 'Create lab';
    case 'lab.teardown':
      return 'Tear down lab';
    case 'lab.test-period':
    case 'lab.test_period':
    case 'lab.period':
      return 'Test period';
    case 'ci.import':
      return 'Import disk image';
    case 'demo.production':
      return 'Demo production VMs';
    default:
      return kind;
  }
}
