import type { ReplyResult } from '../activities/sms-task.js';
import type { SmsTaskOutcome } from './types.js';

/** The outcome of a task whose reply did not go out (shared by the workflow and finishTask). */
export function withheldOutcome(result: Exclude<ReplyResult, { status: 'sent' }>): SmsTaskOutcome {
  if (result.status === 'recipient_opted_out' || result.reason === 'opted_out') return 'opted_out';
  // Only new runs can see this reason (added with takeovers): replays of older histories are unchanged.
  if (result.reason === 'taken_over') return 'taken_over';
  return result.reason === 'keyword_limit' ? 'keyword' : 'unreplyable';
}
