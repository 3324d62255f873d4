// Server validation errors of a form: an ApiError whose field is shown by the
// form goes next to that field, anything else into the form's banner.
import { ApiError, errorMessage } from './api';

export interface FormErrors {
  /** message by field key, e.g. "manifest.install", "checks[0].name" */
  fields: Record<string, string>;
  banner: string;
}

/** shown: the fields the form shows, as a pattern or a list of names. */
export function formErrors(err: unknown, shown: RegExp | readonly string[]): FormErrors {
  if (err instanceof ApiError && err.field && (Array.isArray(shown) ? shown.includes(err.field) : (shown as RegExp).test(err.field))) {
    return { fields: { [err.field]: err.message }, banner: '' };
  }
  return { fields: {}, banner: errorMessage(err) };
}
