// Server validation errors of the forms on the release page: an ApiError
// whose field is shown by the form goes next to that field, anything else
// into the form's banner.
import { ApiError, errorMessage } from './api';

export interface FormErrors {
  /** message by field key, e.g. "manifest.install", "checks[0].name" */
  fields: Record<string, string>;
  banner: string;
}

export function formErrors(err: unknown, shown: RegExp): FormErrors {
  if (err instanceof ApiError && err.field && shown.test(err.field)) {
    return { fields: { [err.field]: err.message }, banner: '' };
  }
  return { fields: {}, banner: errorMessage(err) };
}

