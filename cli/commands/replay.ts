import { Client, Connection, type HistoryAndWorkflowId } from '@temporalio/client';
import { type ReplayResult, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../../infra/config.js';
import { createLogger } from '../../infra/logger.js';
import { resolveTemporalAddress } from '../../infra/stack.js';
import { temporalDataConverter } from '../../infra/temporal-data-converter.js';
import { installTemporalRuntime } from '../../infra/temporal-runtime.js';
import { bundleWorkflows } from '../roles/workflow-bundle.js';

export function register(program: Command): void {
  program
    .command('replay')
    .description(
      'replay recent smsTask histories from the Temporal server against the current workflow code; ' +
        'exits 1 when any of them is no longer deterministic (check before deploying workflow changes)',
    )
    .option('--query <query>', 'visibility query narrowing the executions, e.g. \'SmsStatus="NEEDS_ATTENTION"\'')
    .option('--limit <n>', 'replay at most n executions, newest first', positiveInt, 100)
    .action(runReplay);
}

async function runReplay(options: { query?: string; limit: number }): Promise<void> {
  const config = loadConfig();
  const dataConverter = temporalDataConverter(config);
  // The SDK logs each replay failure as a warning; the lines printed below already say it.
  installTemporalRuntime(createLogger({ level: 'silent' }));
  const address = resolveTemporalAddress(config);
  if (!address) throw new Error('no Temporal server: set TEMPORAL_ADDRESS or start `sms-agent dev` first');
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter });
    process.stdout.write(
      `Bundling the workflow code, then replaying up to ${options.limit} histories from ${address}\n`,
    );
    const summary = await replayRecentHistories({
      client,
      query: options.query,
      limit: options.limit,
      workflowBundle: await bundleWorkflows(),
      onResult: (line) => process.stdout.write(`${formatLine(line)}\n`),
    });
    process.stdout.write(`${formatSummary(summary)}\n`);
    // Thrown, not process.exitCode: cli/main.ts turns it into exit code 1 (an exitCode set here was
    // found reset to 0 by the time the process ended, after the replay worker's teardown).
    if (!summary.passed) throw new Error('replay failed: see the NONDET/ERROR lines above');
  } finally {
    await connection.close();
  }
}

export interface ReplayLine {
  workflowId: string;
  runId?: string;
  status: 'ok' | 'non_deterministic' | 'error';
  /** First line of the error, for the non-deterministic and failed ones. */
  message?: string;
}

export interface ReplaySummary {
  query: string;
  lines: ReplayLine[];
  ok: number;
  nonDeterministic: number;
  errors: number;
  /** True when every history replayed cleanly (an empty selection passes). */
  passed: boolean;
}

export interface ReplayOptions {
  /** Fetches the histories; its data converter (the payload codec) also decodes them for the replay. */
  client: Client;
  /** Narrows the smsTask executions (ANDed with WorkflowType="smsTask"). */
  query?: string;
  limit: number;
  workflowBundle: WorkflowBundleOption;
  onResult?: (line: ReplayLine) => void;
}

/** The visibility query for smsTask executions, narrowed by the caller's own query. */
export const smsTaskQuery = (query?: string) =>
  query?.trim() ? `WorkflowType="smsTask" AND (${query.trim()})` : 'WorkflowType="smsTask"';

/**
 * Fetches the histories of the newest smsTask executions (running ones included: their partial
 * history must replay too) and replays each against the given workflow code.
 */
export async function replayRecentHistories(options: ReplayOptions): Promise<ReplaySummary> {
  const { client, limit, workflowBundle, onResult } = options;
  const query = smsTaskQuery(options.query);
  const lines: ReplayLine[] = [];
  const report = (line: ReplayLine) => {
    lines.push(line);
    onResult?.(line);
  };
  // The replay worker reports results in the order histories are pushed, so run ids queue up here.
  const runIds: string[] = [];

  async function* histories(): AsyncIterable<HistoryAndWorkflowId> {
    let taken = 0;
    for await (const execution of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
      if (taken++ >= limit) return;
      try {
        const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
        runIds.push(execution.runId);
        yield { workflowId: execution.workflowId, history };
      } catch (error) {
        // Gone since it was listed (retention) or unreadable: say so, and go on with the others.
        report({
          workflowId: execution.workflowId,
          runId: execution.runId,
          status: 'error',
          message: firstLine(error),
        });
      }
    }
  }

  for await (const result of Worker.runReplayHistories(
    // The histories hold encoded (encrypted) payloads: the replay worker decodes them as a worker does.
    { workflowBundle, replayName: 'sms-agent-replay', dataConverter: client.options.dataConverter },
    histories(),
  )) {
    report(toLine(result, runIds.shift()));
  }
  const count = (status: ReplayLine['status']) => lines.filter((l) => l.status === status).length;
  const summary = {
    query,
    lines,
    ok: count('ok'),
    nonDeterministic: count('non_deterministic'),
    errors: count('error'),
  };
  return { ...summary, passed: summary.nonDeterministic === 0 && summary.errors === 0 };
}

function toLine(result: ReplayResult, runId: string | undefined): ReplayLine {
  const { workflowId, error } = result;
  if (!error) return { workflowId, runId, status: 'ok' };
  const status = error instanceof DeterminismViolationError ? 'non_deterministic' : 'error';
  return { workflowId, runId, status, message: firstLine(error) };
}

/** The core's own sentence when there is one ("[TMPRL1100] Nondeterminism error: ..."), else the first line. */
function firstLine(error: unknown): string {
  const message = String((error as Error)?.message ?? error);
  return /\[TMPRL\d+\][^"\n]*/.exec(message)?.[0] ?? message.split('\n')[0] ?? '';
}

const LABEL: Record<ReplayLine['status'], string> = { ok: 'ok   ', non_deterministic: 'NONDET', error: 'ERROR' };

export const formatLine = (line: ReplayLine) =>
  `${LABEL[line.status]}  ${line.workflowId}${line.runId ? ` (run ${line.runId})` : ''}${line.message ? `  ${line.message}` : ''}`;

export function formatSummary(s: ReplaySummary): string {
  if (s.lines.length === 0) return `No smsTask executions match ${s.query}: nothing to replay.`;
  const verdict = s.passed ? 'the current workflow code replays them all' : 'NOT safe to deploy as is';
  return (
    `Replayed ${s.lines.length} smsTask histor${s.lines.length === 1 ? 'y' : 'ies'}: ` +
    `${s.ok} ok, ${s.nonDeterministic} non-deterministic, ${s.errors} failed; ${verdict}.`
  );
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}
