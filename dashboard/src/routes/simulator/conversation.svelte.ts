import { api, call } from '$lib/api/client';
import { type LiveTask, live } from '$lib/live.svelte';
import type { TimelineEvent } from '$lib/tasks/task-detail';

type TaskFields = Pick<LiveTask, 'messageSid' | 'status' | 'aiResponse' | 'outcome' | 'errorMessage'>;

export interface Bubble {
  id: string;
  direction: 'out' | 'in' | 'note';
  text: string;
  at: Date;
}

/**
 * A task is settled once it will not change without someone acting (a retry). Not 'rate_limited':
 * that status comes before the limit notice is sent and the task completes.
 */
const SETTLED = new Set(['completed', 'failed']);
/** Without the live stream (it dropped, or the browser has none), the task is read this often. */
const POLL_MS = 1000;
const GIVE_UP_MS = 120_000;

interface Followed {
  phone: string;
  reply: string | null;
  done: boolean;
}

/**
 * The simulator's threads, one per number, kept while the app is open. Replies arrive as
 * `event: task` frames of GET /api/stream; the task is also read once after sending (it may have
 * settled before the stream saw it) and every second while the stream is down. The AI's answer
 * shows as soon as the task has it; once the task settles, every other reply it sent (a keyword's
 * answer, a rate-limit notice) shows from its ReplySent events, as the phone would get it.
 */
class Conversations {
  threads = $state<Record<string, Bubble[]>>({});
  pending = $state(0);
  private followed = new Map<string, Followed>();
  private stopListening: (() => void) | undefined;

  thread = (phone: string) => this.threads[phone] ?? [];

  private push(phone: string, bubble: Bubble) {
    this.threads[phone] = [...(this.threads[phone] ?? []), bubble];
  }

  async send(from: string, body: string): Promise<void> {
    this.stopListening ??= live.listen({
      task: (task) => this.update(task),
      reset: () => this.refreshAll(),
    });
    const accepted = await call('Sending the text', () => api.POST('/api/simulator/sms', { body: { from, body } }));
    this.push(from, { id: accepted.messageSid, direction: 'out', text: body, at: new Date() });
    this.followed.set(accepted.messageSid, { phone: from, reply: null, done: false });
    this.pending++;
    void this.watch(accepted.messageSid);
  }

  /** Shows what is new about a followed task; true once it has settled. */
  private update(task: TaskFields, events?: TimelineEvent[]) {
    const followed = this.followed.get(task.messageSid);
    if (!followed || followed.done) return followed?.done ?? false;
    if (task.aiResponse && task.aiResponse !== followed.reply) {
      followed.reply = task.aiResponse;
      this.push(followed.phone, {
        id: `${task.messageSid}-reply`,
        direction: 'in',
        text: task.aiResponse,
        at: new Date(),
      });
    }
    if (!SETTLED.has(task.status)) return false;
    followed.done = true;
    void this.settle(task, followed, events);
    return true;
  }

  /** Shows the replies the settled task sent besides the AI's answer, or says why there is none. */
  private async settle(task: TaskFields, followed: Followed, events?: TimelineEvent[]) {
    const all = events ?? (await this.detail(task.messageSid))?.data?.events ?? [];
    const sent = all.flatMap((event) =>
      event.type === 'ReplySent' ? [{ id: event.id, ...(event.data as { kind: string; body: string }) }] : [],
    );
    for (const reply of sent) {
      if (reply.kind === 'answer' && followed.reply) continue;
      this.push(followed.phone, {
        id: `${task.messageSid}-${reply.id}`,
        direction: 'in',
        text: reply.body,
        at: new Date(),
      });
    }
    if (!followed.reply && sent.length === 0) {
      this.push(followed.phone, {
        id: `${task.messageSid}-note`,
        direction: 'note',
        text: describe(task),
        at: new Date(),
      });
    }
    this.pending--;
  }

  /** The task and its stream events, or undefined when they cannot be read (yet). */
  private detail(sid: string) {
    return api.GET('/api/tasks/{messageSid}', { params: { path: { messageSid: sid } } }).catch(() => undefined);
  }

  private async read(sid: string): Promise<boolean> {
    const result = await this.detail(sid);
    return result?.data ? this.update(result.data.task, result.data.events) : false;
  }

  private refreshAll() {
    for (const [sid, f] of this.followed) if (!f.done) void this.read(sid);
  }

  private async watch(sid: string) {
    const deadline = Date.now() + GIVE_UP_MS;
    // 404 until the projection has the task; the stream usually answers first.
    for (let first = true; Date.now() < deadline; first = false) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (this.followed.get(sid)?.done) return;
      if ((first || !live.connected) && (await this.read(sid))) return;
    }
    const followed = this.followed.get(sid);
    if (!followed || followed.done) return;
    followed.done = true;
    this.pending--;
    this.push(followed.phone, {
      id: `${sid}-note`,
      direction: 'note',
      text: 'No reply seen within two minutes; the task may still be running (see Tasks).',
      at: new Date(),
    });
  }
}

/** Why a settled task sent nothing back. */
function describe(task: Pick<LiveTask, 'status' | 'outcome' | 'errorMessage'>): string {
  if (task.status === 'failed')
    return `The task failed${task.errorMessage ? `: ${task.errorMessage}` : ''}; it waits for ops.`;
  const why = task.outcome ? NOTHING_SENT[task.outcome] : undefined;
  return why ?? `Done (${task.outcome ?? task.status}); no reply was sent.`;
}

/**
 * Outcomes that sent nothing back, in the words of someone watching the phone. A held-back SMS
 * sends its notice once per window; the later ones send nothing.
 */
const NOTHING_SENT: Record<string, string> = {
  rate_limited: 'Rate limited; no notice this time (one went out earlier in this window).',
  spend_capped: 'Held back by a spend cap; no notice this time (one went out earlier).',
  opted_out: 'Opted out (STOP): nothing is sent to this number until it texts START.',
  unreplyable: 'No reply can go to this sender (a short code, a name, an unknown number or a country not allowed).',
  taken_over: 'A person has taken this conversation over: the AI does not answer (see Users).',
};

export const conversations = new Conversations();
