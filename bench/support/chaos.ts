import type { RoleProcess } from './roles.js';

/** One fault the soak injects, and when. */
export interface ChaosStep {
  atMs: number;
  /** 'kill worker after send': the worker dies the moment Twilio accepts its next message. */
  what: 'kill worker' | 'kill worker after send' | 'kill projector' | 'restart postgres';
}

/**
 * Spreads the faults over the sending window: worker kills from 15% to 80% of it, projector
 * kills 5% after each, kills at Twilio's answer from 30% to 85%, PostgreSQL restarts from 60% on.
 */
export function chaosPlan(durationMs: number, kills: number, pgRestarts: number, sendKills = 0): ChaosStep[] {
  const steps: ChaosStep[] = [];
  const spread = (i: number, n: number, from: number, to: number) =>
    n === 1 ? from : from + ((to - from) * i) / (n - 1);
  for (let i = 0; i < kills; i++) {
    const at = spread(i, kills, 0.15, 0.75);
    steps.push({ atMs: at * durationMs, what: 'kill worker' });
    steps.push({ atMs: (at + 0.05) * durationMs, what: 'kill projector' });
  }
  for (let i = 0; i < sendKills; i++) {
    steps.push({ atMs: spread(i, sendKills, 0.3, 0.85) * durationMs, what: 'kill worker after send' });
  }
  for (let i = 0; i < pgRestarts; i++) {
    steps.push({ atMs: spread(i, pgRestarts, 0.6, 0.9) * durationMs, what: 'restart postgres' });
  }
  return steps.sort((a, b) => a.atMs - b.atMs);
}

/** A role that can be crashed and started again; `current` is the live process. */
export class Restartable {
  current: RoleProcess;
  restarts = 0;

  constructor(private readonly start: () => RoleProcess) {
    this.current = start();
  }

  /** SIGKILL (no shutdown hooks run, in-flight work is lost), then a fresh process. */
  async crashAndRestart(): Promise<RoleProcess> {
    await this.current.stop('SIGKILL');
    this.restarts++;
    this.current = this.start();
    return this.current;
  }
}
