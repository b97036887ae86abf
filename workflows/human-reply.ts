import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { SEND_SMS } from './policies.js';
import type { HumanReplyInput, HumanReplyResult } from './types.js';

const { sendHumanReply } = proxyActivities<Activities>(SEND_SMS);

/** A reply a person wrote in the dashboard. Workflow id `reply-<replyId>`, given by the API. */
export async function humanReply(input: HumanReplyInput): Promise<HumanReplyResult> {
  return await sendHumanReply(input);
}
