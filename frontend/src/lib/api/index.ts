// The API as the screens use it: the types and enum values generated from the
// OpenAPI document (schema.ts, never edited by hand) and the transport
// (client.ts). See docs/api.md for the conventions behind them.

export * from './schema';
export * from './client';
