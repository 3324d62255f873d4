// Values the server checks but does not (yet) type as enums in the API
// document, so they are not generated: the options of a few form selects.
// When the Go side gives one of these fields a type with EnumValues, its
// values arrive in lib/api (e.g. releaseTypeValues) and the list here goes.

/** Change risk levels (release.Change.risk). */
export const CHANGE_RISKS = ['low', 'medium', 'high'];
/** Criticality of a configuration item. */
export const CRITICALITIES = ['low', 'medium', 'high', 'critical'];
/** Recurrence of a freeze window. */
export const RECURRENCES = ['none', 'weekly', 'monthly', 'yearly'];
