import { api, call } from '../api/client.js';
import type { paths } from '../api/schema.js';

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
export function capShare(
  spentUsd: number,
  capUsd: number | null,
): { percent: number; tone: 'ok' | 'warn' | 'danger' } | null {
  if (capUsd === null) return null;
  const percent = capUsd <= 0 ? 100 : Math.min(100, Math.max(0, Math.round((spentUsd / capUsd) * 100)));
  const tone = spentUsd >= capUsd ? 'danger' : percent >= 75 ? 'warn' : 'ok';
  return { percent, tone };
}
