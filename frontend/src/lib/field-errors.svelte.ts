// The field-error plumbing of the long forms (release, lab, rollout): errors
// by field key, each shown next to its input; a banner above the form; the
// server's refusal naming a field (422) highlights that field; the first
// highlighted input takes the focus; a banner that only points at
// highlighted fields goes once they are all fixed.
//
//   const fe = fieldErrors({ known: /^(name|version|changes\[\d+\]\.title)$/, inputId: (k) => … });
//   if (!fe.check(validate())) return;            // highlights and says so
//   … catch (e) { if (!fe.refused(e, 'The server did not accept this release. …')) fe.banner = errorMessage(e); }
//   <input oninput={() => fe.clear('name')} aria-invalid={!!fe.errors.name} />

import { ApiError } from './api';

/** The banner of a form whose highlighted fields need fixing. */
export const FIX_FIELDS = 'Please fix the highlighted fields.';

export interface FieldErrorsOptions {
  /** the keys of the fields the form shows an error under */
  known: RegExp;
  /** the id of the input that shows a key's error ('' when none) */
  inputId: (key: string) => string;
  /** a server's field name → the key the form shows it under (default: the same) */
  key?: (field: string) => string;
  /** every error the form shows, when more than these (default: errors) */
  shown?: () => Record<string, string>;
}

export interface FieldErrors {
  /** message by field key, e.g. "package.install", "changes[0].rfc" */
  errors: Record<string, string>;
  banner: string;
  bannerKind: 'error' | 'warn';
  /** Forgets a field's error (the user edits it). */
  clear(key: string): void;
  /** Takes the form's own checks: true when there is nothing to fix, else highlights them. */
  check(errors: Record<string, string>): boolean;
  /** Says what is wrong in the banner and focuses the first highlighted input. */
  highlight(banner?: string): void;
  /** Focuses the first highlighted input (after the DOM is updated). */
  focusFirst(): void;
  /**
   * A refusal naming a field of the form: its message goes next to the field
   * and `banner` (given the error) into the banner; true. A refusal naming
   * another field: the message and the field into the banner; true.
   * Anything else: false, nothing changed.
   */
  refused(e: unknown, banner: (e: ApiError) => string): boolean;
  /** A refusal naming a field of the form goes next to it (true); anything else clears the server's errors (false). */
  take(e: unknown): boolean;
  /** Row i of the list whose keys start with `list[` was removed: the later rows' errors move up one. */
  removeRow(list: string, i: number): void;
}

export function fieldErrors(opts: FieldErrorsOptions): FieldErrors {
  let errors = $state<Record<string, string>>({});
  let banner = $state('');
  let bannerKind = $state<'error' | 'warn'>('error');
  const shown = opts.shown ?? (() => errors);

  // A banner that only points at highlighted fields goes once they are all fixed.
  $effect(() => {
    if (banner && /highlighted field/.test(banner) && Object.keys(shown()).length === 0) banner = '';
  });

  function focusFirst() {
    queueMicrotask(() => {
      const first = Object.keys(shown())[0];
      if (first) document.getElementById(opts.inputId(first))?.focus();
    });
  }

  function highlight(message = FIX_FIELDS) {
    bannerKind = 'error';
    banner = message;
    focusFirst();
  }

  function take(e: unknown): boolean {
    const key = e instanceof ApiError && e.field ? (opts.key ?? ((f: string) => f))(e.field) : '';
    if (key && opts.known.test(key)) {
      errors = { [key]: (e as ApiError).message };
      return true;
    }
    errors = {};
    return false;
  }

  return {
    get errors() {
      return errors;
    },
    set errors(v) {
      errors = v;
    },
    get banner() {
      return banner;
    },
    set banner(v) {
      banner = v;
    },
    get bannerKind() {
      return bannerKind;
    },
    set bannerKind(v) {
      bannerKind = v;
    },
    clear(key) {
      if (errors[key]) delete errors[key];
    },
    check(next) {
      errors = next;
      if (Object.keys(next).length === 0) return true;
      highlight();
      return false;
    },
    highlight,
    focusFirst,
    refused(e, message) {
      if (!(e instanceof ApiError) || !e.field) return false;
      if (take(e)) highlight(message(e));
      else {
        bannerKind = 'error';
        banner = `${e.message} (${e.field})`;
      }
      return true;
    },
    take,
    removeRow(list, i) {
      const re = new RegExp(`^${list.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\[(\\d+)\\](.*)$`);
      const next: Record<string, string> = {};
      for (const [k, v] of Object.entries(errors)) {
        const m = re.exec(k);
        if (!m) next[k] = v;
        else if (Number(m[1]) < i) next[k] = v;
        else if (Number(m[1]) > i) next[`${list}[${Number(m[1]) - 1}]${m[2]}`] = v;
      }
      errors = next;
    },
  };
}
