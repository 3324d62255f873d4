// Attaching a stored package to a release from a list of packages
// (PackageHistory, PackagePick). One at a time: `busy` is the digest being
// attached, and the lists disable every Attach button meanwhile. A failure is
// shown in the list's own error line, `errors.error`.

import { api, errorMessage, ok, type Release } from '../lib/api';

export function createAttach(
  releaseId: () => number,
  onattached: (r: Release) => void,
  errors: { error: string },
): { readonly busy: string; attach: (digest: string) => Promise<void> } {
  let busy = $state('');
  return {
    get busy() {
      return busy;
    },
    async attach(digest: string) {
      busy = digest;
      errors.error = '';
      try {
        onattached(await ok(api.PUT('/releases/{id}/package', { params: { path: { id: releaseId() } }, body: { digest } })));
      } catch (e) {
        errors.error = errorMessage(e);
      } finally {
        busy = '';
      }
    },
  };
}
