// What comes next for the person looking at a release: one sentence in the
// header, and where on the page to do it. The buttons beside it come from
// the server's allowed_transitions; this only says which matters now.
import type { Release, Role } from '../lib/api';

/** A section of the release page a next step points at. */
export type StepTarget = 'signoff' | 'package' | 'labs' | 'evidence' | 'rollouts' | 'review' | 'notes';

export interface NextStep {
  /** the sentence ("Review due: record the post-implementation review.") */
  text: string;
  /** a quoted note or reason that goes with it (the request's note, the rejection's reason) */
  detail?: string;
  /** the section where the step is done, and the link's words */
  target?: StepTarget;
  targetLabel?: string;
  /** the step is this person's to take (else they are waiting on someone) */
  yours: boolean;
}

/** The last move into a state, if any. */
export function lastMoveTo(r: Release, state: string) {
  const ts = r.transitions ?? [];
  for (let i = ts.length - 1; i >= 0; i--) if (ts[i].to === state) return ts[i];
  return undefined;
}

export function nextStep(r: Release, roles: Role[], username: string): NextStep {
  const is = (...want: Role[]) => roles.some((x) => want.includes(x));
  const tester = is('tester');
  const closer = is('manager', 'admin');
  const quote = (t?: { actor: string; reason: string }) => (t?.reason ? `${t.actor}: “${t.reason}”` : undefined);
  switch (r.state) {
    case 'planned':
      return tester
        ? { text: 'Next: start the build once the scope (changes, CIs, window) is final.', yours: true }
        : { text: 'Planned: a tester starts the build once the scope is final.', yours: false };
    case 'building':
      if (!tester) return { text: 'Being built: a tester attaches the release package, then starts testing.', yours: false };
      if (!r.package) return { text: 'Next: attach the release package, then start testing.', target: 'package', targetLabel: 'Go to the package', yours: true };
      return r.type === 'emergency'
        ? { text: 'Next: start testing the package, or request approval on the expedited path (with a justification).', target: 'labs', targetLabel: 'Go to the labs', yours: true }
        : { text: 'Next: start testing the package in a lab.', yours: true };
    case 'testing': {
      // a rejection returns the release to testing: say why, until it is asked again
      const ts = r.transitions ?? [];
      const prev = ts.length >= 2 ? ts[ts.length - 2] : undefined;
      if (prev?.to === 'rejected') {
        return tester
          ? { text: 'Rejected: fix what the managers asked, test again, then request approval.', detail: quote(prev), target: 'labs', targetLabel: 'Go to the labs', yours: true }
          : { text: 'Rejected at sign-off: back in testing with the testers.', detail: quote(prev), yours: false };
      }
      if (tester && !r.package)
        return { text: 'Next: attach the release package, test it in a lab, then request approval.', target: 'package', targetLabel: 'Go to the package', yours: true };
      return tester
        ? { text: 'Next: run a lab test period or record evidence, then request approval.', target: 'labs', targetLabel: 'Go to the labs', yours: true }
        : { text: 'In testing: the testers record evidence, then request approval.', yours: false };
    }
    case 'awaiting-approval': {
      const req = lastMoveTo(r, 'awaiting-approval');
      const note = quote(req);
      if (is('manager')) return { text: 'Sign-off due: check the package and the evidence, then approve or reject.', detail: note, target: 'signoff', targetLabel: 'Go to the sign-off', yours: true };
      if (req && req.actor === username) return { text: 'Waiting for the managers’ sign-off. Withdraw the request if you need to change something first.', detail: note, target: 'signoff', targetLabel: 'See the sign-off', yours: false };
      return { text: 'Waiting for the managers’ sign-off.', detail: note, target: 'signoff', targetLabel: 'See the sign-off', yours: false };
    }
    case 'approved':
      return is('admin')
        ? { text: 'Next: roll the approved package out to its targets.', yours: true }
        : { text: 'Approved: an admin rolls the approved package out.', yours: false };
    case 'deploying':
      return is('admin')
        ? { text: 'Deploying: follow the rollout; mark the release deployed or failed when it ends.', target: 'rollouts', targetLabel: 'Go to the rollout', yours: true }
        : { text: 'Deploying: follow the rollout below.', target: 'rollouts', targetLabel: 'Go to the rollout', yours: false };
    case 'deployed':
    case 'failed':
    case 'rolled-back':
      if (is('manager', 'admin'))
        return { text: 'Review due: record the post-implementation review.', target: 'review', targetLabel: 'Go to the review form', yours: true };
      if (r.state === 'rolled-back' && tester) return { text: 'Rolled back: start a new build when the fix is ready; a manager records the review.', yours: true };
      return { text: 'Waiting for the post-implementation review (a manager or admin records it).', yours: false };
    case 'reviewed':
      return closer
        ? { text: 'Next: publish the release notes, then close the release.', target: 'notes', targetLabel: 'Go to the release notes', yours: true }
        : { text: 'Reviewed: a manager or admin publishes the notes and closes the release.', yours: false };
    case 'rejected': {
      const why = quote(lastMoveTo(r, 'rejected'));
      return tester
        ? { text: 'Rejected: fix what the managers asked, then build or test again.', detail: why, yours: true }
        : { text: 'Rejected: the testers rework it.', detail: why, yours: false };
    }
    case 'closed':
      return { text: 'Closed: nothing more to do; the record is final.', yours: false };
    case 'cancelled':
      return { text: 'Cancelled: nothing more to do.', detail: quote(lastMoveTo(r, 'cancelled')), yours: false };
  }
  return { text: '', yours: false };
}
