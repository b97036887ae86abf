import {
  type ActivityOptions,
  CancellationScope,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { EVENT_STEP } from './policies.js';
import type { BroadcastCancelRequest, BroadcastCounts, BroadcastInput, BroadcastProgress } from './types.js';

/** Sent by the API after it recorded BroadcastCancelled: stop the page in flight and end. */
export const cancelBroadcastSignal = defineSignal<[BroadcastCancelRequest?]>('cancel');
export const broadcastProgressQuery = defineQuery<BroadcastProgress>('progress');

/**
 * A page sends for at most a minute (activities/broadcast.ts) and heartbeats every recipient and
 * every second of pacing, so a dead worker is noticed in 20 s and a cancel reaches it at once.
 * Attempts never run out (no maximumAttempts): a Twilio outage pauses the broadcast (an admin may cancel it); a retry
 * resumes from the heartbeat, and recipients already done are read, never sent again.
 */
export const BROADCAST_PAGE = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['BroadcastNotFound', 'EventSchemaError'],
  },
} as const satisfies ActivityOptions;

const DEFAULT_PAGE_SIZE = 100;
const DEFAULT_PAGES_PER_RUN = 50;

const pages = proxyActivities<Activities>(BROADCAST_PAGE);
const events = proxyLocalActivities<Activities>(EVENT_STEP);

/**
 * Workflow `broadcast-<id>`: sends one admin text to an audience the API listed in the log,
 * page by page, then records BroadcastCompleted. The history holds cursors and counts only;
 * continue-as-new every `pagesPerRun` pages (or when Temporal suggests it) keeps it small.
 */
export async function broadcast(input: BroadcastInput): Promise<BroadcastProgress> {
  const { broadcastId, total } = input;
  const pageSize = input.pageSize ?? DEFAULT_PAGE_SIZE;
  const pagesPerRun = input.pagesPerRun ?? DEFAULT_PAGES_PER_RUN;
  const counts: BroadcastCounts = { sent: 0, skipped: 0, failed: 0, ...input.counts };
  let cursor = input.cursor ?? 0;
  let lastSentAt = input.lastSentAt;
  let cancelRequested = false;
  let page: CancellationScope | undefined;
  const progress = (state: BroadcastProgress['state']): BroadcastProgress => ({ state, cursor, total, ...counts });

  setHandler(broadcastProgressQuery, () => progress(cancelRequested ? 'cancelled' : 'sending'));
  setHandler(cancelBroadcastSignal, () => {
    cancelRequested = true;
    page?.cancel();
  });

  try {
    for (let run = 0; cursor < total && !cancelRequested; run++) {
      if (run >= pagesPerRun || workflowInfo().continueAsNewSuggested) {
        return await continueAsNew<typeof broadcast>({ ...input, cursor, counts, lastSentAt });
      }
      page = new CancellationScope();
      const request = { broadcastId, from: cursor, to: Math.min(cursor + pageSize, total), lastSentAt };
      const result = await page
        .run(() => pages.sendBroadcastPage(request))
        .catch((error: unknown) => {
          // The API's cancel signal stopped this page: the log already says it is cancelled.
          if (cancelRequested && isCancellation(error)) return undefined;
          throw error;
        });
      page = undefined;
      if (!result) break;
      cursor = result.cursor;
      lastSentAt = result.lastSentAt;
      counts.sent += result.counts.sent;
      counts.skipped += result.counts.skipped;
      counts.failed += result.counts.failed;
      if (result.stopped) cancelRequested = true;
    }
    if (cancelRequested) return progress('cancelled');
    const state = await events.completeBroadcast({ broadcastId, counts });
    return progress(state);
  } catch (error) {
    // Cancelled from the Temporal UI: record it (with "temporal" as who), then end as cancelled.
    if (!isCancellation(error)) throw error;
    await CancellationScope.nonCancellable(() => events.recordBroadcastCancelled({ broadcastId }));
    throw error;
  }
}
