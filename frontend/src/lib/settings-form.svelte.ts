// A settings-style form: load the stored settings into the fields, save them
// as a whole, say "saved", and put a refusal next to the field it names (or in
// the form's banner). Admin → Settings, Admin → Notifications and the user's
// own notification preferences are such forms.
//
//   const form = settingsForm({
//     load: () => ok(api.GET('/settings')),
//     save: () => ok(api.PUT('/settings', { body: … })),
//     show: (s) => { maxDays = s.token_max_days; … },
//     saved: 'Settings saved.',
//     fields: ['token_max_days'],
//   });
//   $effect(() => { form.load(); });
//   <form onsubmit={form.submit}> … {form.errors.token_max_days} … {form.banner} … {form.flash}

import { formErrors } from './form-errors';
import { errorMessage } from './api';

export interface SettingsFormOptions<T> {
  /** Fetches the stored settings. */
  load: () => Promise<T>;
  /** Sends the fields; answers the settings as stored. */
  save: () => Promise<T>;
  /** Copies stored settings into the form's fields (after a load and after a save). */
  show: (stored: T) => void;
  /** The flash after a save. */
  saved: string;
  /** The fields that show their own error; a refusal naming another goes to the banner. */
  fields: readonly string[];
}

export interface SettingsForm<T> {
  /** the settings as last loaded or saved (null until the first load) */
  readonly stored: T | null;
  /** true until the first load ends */
  readonly loading: boolean;
  readonly loadError: string;
  /** the last save's refusal, by field */
  readonly errors: Record<string, string>;
  /** the last save's refusal that names no field of the form */
  readonly banner: string;
  readonly flash: string;
  /** a save is under way */
  readonly busy: boolean;
  /** Fetches the settings again (the retry of the load banner). */
  readonly load: () => Promise<void>;
  /** The form's submit handler. */
  readonly submit: (e?: Event) => Promise<void>;
}

export function settingsForm<T>(opts: SettingsFormOptions<T>): SettingsForm<T> {
  let stored = $state<T | null>(null);
  let loading = $state(true);
  let loadError = $state('');
  let errors = $state<Record<string, string>>({});
  let banner = $state('');
  let flash = $state('');
  let busy = $state(false);

  function show(v: T) {
    stored = v;
    opts.show(v);
  }

  async function load(): Promise<void> {
    try {
      show(await opts.load());
      loadError = '';
    } catch (e) {
      loadError = errorMessage(e);
    } finally {
      loading = false;
    }
  }

  async function submit(e?: Event): Promise<void> {
    e?.preventDefault();
    errors = {};
    banner = '';
    flash = '';
    busy = true;
    try {
      show(await opts.save());
      flash = opts.saved;
    } catch (err) {
      const fe = formErrors(err, opts.fields);
      errors = fe.fields;
      banner = fe.banner;
    } finally {
      busy = false;
    }
  }

  return {
    get stored() {
      return stored;
    },
    get loading() {
      return loading;
    },
    get loadError() {
      return loadError;
    },
    get errors() {
      return errors;
    },
    get banner() {
      return banner;
    },
    get flash() {
      return flash;
    },
    get busy() {
      return busy;
    },
    load,
    submit,
  };
}
