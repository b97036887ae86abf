import { api, call } from '$lib/api/client';
import type { paths } from '$lib/api/schema';

type TaskView = paths['/api/tasks/{messageSid}']['get']['responses'][200]['content']['application/json']['task'];

export interface Bubble {
  id: string;
  direction: 'out' | 'in' | 'note';
  text: string;
  at: Date;
}

/** A task is settled once it will not change without someone acting (a retry). */
const SETTLED = new Set(['completed', 'failed', 'rate_limited']);
const POLL_MS = 1000;
const GIVE_UP_MS = 120_000;

/**
 * The simulator's threads, one per number, kept while the app is open. Replies arrive by polling
 * GET /api/tasks/:sid once a second until the task settles: there is no live stream to follow yet.
 */
class Conversations {
  threads = $state<Record<string, Bubble[]>>({});
  pending = $state(0);

  thread = (phone: string) => this.threads[phone] ?? [];

  private push(phone: string, bubble: Bubble) {
    this.threads[phone] = [...(this.threads[phone] ?? []), bubble];
  }

  async send(from: string, body: string): Promise<void> {
    const accepted = await call('Sending the text', () => api.POST('/api/simulator/sms', { body: { from, body } }));
    this.push(from, { id: accepted.messageSid, direction: 'out', text: body, at: new Date() });
    this.pending++;
    void this.follow(from, accepted.messageSid).finally(() => this.pending--);
  }

  private async follow(phone: string, sid: string) {
    const deadline = Date.now() + GIVE_UP_MS;
    let shownReply: string | null = null;
    let failures = 0;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const { data, response } = await api
        .GET('/api/tasks/{messageSid}', { params: { path: { messageSid: sid } } })
        .catch(() => ({ data: undefined, response: undefined }));
      if (!data) {
        // 404 until the projection has the task; anything else a few times in a row is a failure.
        if (response?.status !== 404 && ++failures >= 5) break;
        continue;
      }
      failures = 0;
      const task = data.task;
      if (task.aiResponse && task.aiResponse !== shownReply) {
        shownReply = task.aiResponse;
        this.push(phone, { id: `${sid}-reply`, direction: 'in', text: task.aiResponse, at: new Date() });
      }
      if (SETTLED.has(task.status)) {
        if (!task.aiResponse)
          this.push(phone, { id: `${sid}-note`, direction: 'note', text: describe(task), at: new Date() });
        return;
      }
    }
    this.push(phone, {
      id: `${sid}-note`,
      direction: 'note',
      text: 'No reply seen yet; the task may still be running (see Tasks).',
      at: new Date(),
    });
  }
}

function describe(task: TaskView): string {
  if (task.status === 'failed')
    return `The task failed${task.errorMessage ? `: ${task.errorMessage}` : ''}; it waits for ops.`;
  if (task.status === 'rate_limited') return 'Rate limited: the agent answered when to come back.';
  return `Done (${task.outcome ?? task.status}) without an AI reply.`;
}

export const conversations = new Conversations();
