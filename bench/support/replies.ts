import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeTwilio } from '../../test/fakes/twilio.js';
import { taskOfReply } from './twilio-webhook.js';

/**
 * Follows what reaches the fake Twilio: for each inbound MessageSid (read from the reply's
 * StatusCallback `task=`), when its replies arrived. A reply is what the texter sees, so its
 * arrival is when an SMS counts as done.
 */
export class ReplyTracker {
  readonly arrivals = new Map<string, number[]>();
  #seen = 0;
  /** Replies whose StatusCallback named no task. */
  unattributed = 0;

  constructor(private readonly twilio: FakeTwilio) {}

  /** Indexes messages that arrived since the last call. */
  update(): void {
    const messages = this.twilio.messages;
    for (; this.#seen < messages.length; this.#seen++) {
      const m = messages[this.#seen];
      if (!m) continue;
      const task = taskOfReply(m.statusCallback);
      if (!task) {
        this.unattributed++;
        continue;
      }
      const list = this.arrivals.get(task) ?? [];
      list.push(m.dateCreated.getTime());
      this.arrivals.set(task, list);
    }
  }

  count(sid: string): number {
    return this.arrivals.get(sid)?.length ?? 0;
  }

  /** Epoch ms of the first reply to `sid`. */
  firstAt(sid: string): number | undefined {
    return this.arrivals.get(sid)?.[0];
  }

  /** How many of `sids` have a reply. */
  answered(sids: Iterable<string>): number {
    this.update();
    let n = 0;
    for (const sid of sids) if (this.arrivals.has(sid)) n++;
    return n;
  }

  /** Waits until every one of `sids` has a reply or the deadline passes; returns how many did. */
  async waitFor(sids: readonly string[], timeoutMs: number, onTick?: (answered: number) => void): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const done = this.answered(sids);
      onTick?.(done);
      if (done >= sids.length || Date.now() > deadline) return done;
      await sleep(50);
    }
  }
}
