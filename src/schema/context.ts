// The request context and the app's services are declared in the leaf module src/contract.ts,
// beside the builder's types and the plugin's shape that refer to them (no import cycle).
export type { AppServices, Context } from '../contract.ts';
