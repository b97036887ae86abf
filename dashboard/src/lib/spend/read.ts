import { api, call } from '../api/client.js';
import type { paths } from '../api/schema.js';
import type { MeterShare } from '../format.js';
import { usagePercent, usageTone } from '../users/thread.js';

type Ok<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer T } } } };
}
  ? T
  : never;
export type UserSpend = Ok<'/api/users/{phone}/spend'>;
export type SpendOverview = Ok<'/api/analytics/spend'>;

export const readUserSpend = (phone: string): Promise<UserSpend> =>
  call("Reading this person's spend", () => api.GET('/api/users/{phone}/spend', { params: { path: { phone } } }));

export const readSpendOverview = (): Promise<SpendOverview> =>
  call('Reading the spend', () => api.GET('/api/analytics/spend'));

/** Spent (and held for answers being written) against a cap, for a bar: null cap, no bar. */
export function capShare(spentUsd: number, capUsd: number | null): MeterShare | null {
  if (capUsd === null) return null;
  // A cap of 0 blocks the tier: the bar is full whatever was spent.
  return { percent: capUsd <= 0 ? 100 : usagePercent(spentUsd, capUsd), tone: usageTone(spentUsd, capUsd) };
}
