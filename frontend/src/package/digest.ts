// Package digests ("sha256:<64 hex>") are long: the UI shows the algorithm
// and the first 12 hex digits, with the full digest in a title and a copy button.

export function shortDigest(digest: string | null | undefined): string {
  if (!digest) return '';
  const i = digest.indexOf(':');
  return i >= 0 ? digest.slice(0, i + 1) + digest.slice(i + 1, i + 13) : digest.slice(0, 12);
}
