import type { SignOff } from '../lib/api';

/** How many evidence records an approval of the current package rests on,
 *  and how many others (earlier packages) do not count for it: the same
 *  sentence in the panel and in the approve dialog. */
export function evidenceCounts(s: SignOff): { count: number; passed: number; failed: number; earlier: number; text: string; earlierText: string } {
  const pe = s.package_digest ? s.package_evidence : { count: 0, passed: 0, failed: 0 };
  const earlier = s.evidence_count - pe.count;
  const text = s.package_digest
    ? `${pe.count} evidence record${pe.count === 1 ? '' : 's'} taken with this package`
    : `${s.evidence_count} evidence record${s.evidence_count === 1 ? '' : 's'}, no package attached`;
  const earlierText = earlier > 0 && s.package_digest ? `${earlier} more taken with earlier packages do not count for this one` : '';
  return { ...pe, earlier, text, earlierText };
}
