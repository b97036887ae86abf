import type { paths } from '../api/schema.js';
import { formatCount } from '../format.js';

export type ProjectionList = paths['/api/projections']['get']['responses'][200]['content']['application/json'];
export type Projection = ProjectionList['projections'][number];
export type Rebuild = Projection['rebuild'];

/** Words for the read model's own state. */
export const STATE_WORDS: Record<Projection['state'], string> = {
  caught_up: 'Caught up',
  behind: 'Behind',
  not_started: 'Not started',
};

export const isRebuilding = (list: ProjectionList) => list.projections.some((p) => p.rebuild.state === 'rebuilding');

/**
 * Whether the rebuild `rebuildId` (the id POST /rebuild answered) has finished as far as this list
 * shows: it is the last finished rebuild of a projection it covers. A list read before the rebuild
 * wrote its first progress row does not mention it at all, so that is "not yet".
 */
export function rebuildFinished(list: ProjectionList, rebuildId: string): boolean {
  const mine = list.projections.filter(
    (p) => p.rebuild.rebuildId === rebuildId || p.rebuild.last?.rebuildId === rebuildId,
  );
  return (
    mine.length > 0 && mine.every((p) => p.rebuild.state !== 'rebuilding' && p.rebuild.last?.rebuildId === rebuildId)
  );
}

/** "1,204 of 3,000 events (40.1%)" while running. */
export const progressText = (r: Rebuild) =>
  `${formatCount(r.eventsReplayed)} of ${formatCount(r.eventsTotal)} events (${r.percent}%)`;

/** The last finished rebuild in a few words: "Succeeded, 3,000 events" or "Failed: <error>". */
export function lastOutcomeText(r: Rebuild): string {
  if (!r.last) return 'Never rebuilt';
  return r.last.outcome === 'succeeded'
    ? `Succeeded, ${formatCount(r.last.eventsReplayed)} events`
    : `Failed: ${r.last.error ?? 'no reason given'}`;
}
