// One fetch of the approvals inbox shared by the inbox screen and the nav
// badge: calls made while a request is in flight share its answer, and every
// answer refreshes the counts the badge shows.

import { kpiApi, type Inbox, type InboxCounts } from '../lib/api-kpi';

export const inboxCounts = $state<{ counts: InboxCounts | null }>({ counts: null });

let inflight: Promise<Inbox> | null = null;

export function fetchInbox(): Promise<Inbox> {
  inflight ??= kpiApi
    .inbox()
    .then((r) => {
      inboxCounts.counts = r.counts;
      return r;
    })
    .finally(() => {
      inflight = null;
    });
  return inflight;
}
