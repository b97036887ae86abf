import { maskPhone } from '../domain/phone.js';
import type { SmsTaskInput } from '../workflows/types.js';
import { workflowIdFor } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

/**
 * A texter asked for a person (AGENT keyword): tell ops through the alert channels. Nothing is
 * taken over; ops decide. A failed delivery fails the step, which is retried, so the ask is not lost.
 */
export async function alertAgentWanted(deps: Pick<ActivityDeps, 'alerts'>, input: SmsTaskInput, round: number) {
  const workflowId = workflowIdFor(input.messageSid);
  await deps.alerts.send({
    title: `${maskPhone(input.from)} asks for a person`,
    text: 'The texter sent the AGENT keyword. Open their page in the dashboard to take over the conversation and reply.',
    workflowId,
    round,
    fields: { from: maskPhone(input.from), keyword: 'AGENT' },
  });
}
