/**
 * Every public type of package-deployments, one file per feature under `types/`. Each option says what
 * it defaults to.
 */
export type * from './types/record';
export type * from './types/auth';
export type * from './types/store';
export type * from './types/versions';
export type * from './types/shared';
export type * from './types/router';
export type * from './types/api-keys';
export type * from './types/downloads';
export type * from './types/lifecycle';
export type * from './webhooks/types';
