// One fetch of the approvals inbox shared by the inbox screen and the nav
// badge: calls made while a request is in flight share its answer, and every
// answer refreshes the counts the badge shows.

import { api, ok, type Inbox } from '../lib/api';
import type { EventType } from '../lib/events';

export type InboxCounts = Inbox['counts'];

/** Events after which the approvals inbox may have changed. */
export const APPROVAL_EVENTS: EventType[] = ['release.updated', 'signoff.changed'];

export const inboxCounts = $state<{ counts: InboxCounts | null }>({ counts: null });

let inflight: Promise<Inbox> | null = null;

export function fetchInbox(): Promise<Inbox> {
  inflight ??= ok(api.GET('/approvals/inbox'))
    .then((r) => {
      inboxCounts.counts = r.counts;
      return r;
    })
    .finally(() => {
      inflight = null;
    });
  return inflight;
}
