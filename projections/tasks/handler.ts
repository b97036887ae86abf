import { v5 as uuidv5 } from 'uuid';
import { maskPhonesIn } from '../../domain/phone.js';
import { assertNever, defineReadModel, type ProjectionEvent } from '../runtime/types.js';
import { deliveryAdvances } from '../shared/delivery.js';
import { iso, loadRows, type Row, saveRows } from '../shared/rows.js';
import { streamId } from '../shared/streams.js';

export const TASK_EVENTS = [
  'SmsReceived',
  'KeywordDetected',
  'TaskClassified',
  'RateLimited',
  'AiResponseGenerated',
  'ReplySent',
  'DeliveryStatusUpdated',
  'TaskCompleted',
  'TaskFailed',
  'TaskRetryRequested',
  'TaskAbandoned',
  'SpendCapped',
] as const;
type TaskProjectionEvent = ProjectionEvent<(typeof TASK_EVENTS)[number]>;

/** tasks.id is derived from the MessageSid, so live and rebuilt tables agree on it. */
const TASK_ID_NAMESPACE = 'b8a3c1e4-2f5d-4b7a-9c6e-1d2f3a4b5c6d';
export const taskId = (messageSid: string) => uuidv5(`task/${messageSid}`, TASK_ID_NAMESPACE);

const COLUMNS = [
  'id',
  'message_sid',
  'user_phone',
  'sms_content',
  'ai_response',
  'category',
  'priority',
  'complexity_score',
  'classifier',
  'keyword',
  'status',
  'outcome',
  'success',
  'model',
  'fallback_used',
  'prompt_tokens',
  'completion_tokens',
  'tokens_used',
  'cost_usd',
  'ai_latency_ms',
  'processing_time',
  'reply_kind',
  'reply_count',
  'segments',
  'provider_message_sid',
  'delivery_status',
  'delivery_error_code',
  'delivery_updated_at',
  'error_type',
  'error_message',
  'failed_step',
  'attempts',
  'rounds',
  'failures',
  'rate_limit_window',
  'rate_limit_retry_at',
  'created_at',
  'completed_at',
  'failed_at',
  'updated_at',
  'metadata',
  'revision',
] as const;

const NULLS: Row = Object.fromEntries(COLUMNS.map((c) => [c, null]));

function blankTask(messageSid: string, at: string): Row {
  return Object.assign(
    { ...NULLS },
    {
      id: taskId(messageSid),
      message_sid: messageSid,
      status: 'received',
      reply_count: 0,
      segments: 0,
      attempts: 0,
      rounds: 1,
      failures: 0,
      created_at: at,
      updated_at: at,
      metadata: {},
      revision: -1,
    },
  );
}

/** Statuses a late step must not overwrite. */
const SETTLED = new Set(['completed', 'failed', 'abandoned']);
const advance = (task: Row, status: string) => {
  if (!SETTLED.has(String(task.status))) task.status = status;
};

interface Delivery {
  status: string;
  errorCode?: string;
  at: string;
}

/** The task's delivery columns follow its latest reply; metadata.deliveries keeps every reply's. */
function syncDelivery(task: Row): void {
  const deliveries = ((task.metadata as Row).deliveries ?? {}) as Record<string, Delivery>;
  const latest = typeof task.provider_message_sid === 'string' ? deliveries[task.provider_message_sid] : undefined;
  task.delivery_status = latest?.status ?? null;
  task.delivery_error_code = latest?.errorCode ?? null;
  task.delivery_updated_at = latest?.at ?? null;
}

/** One event applied to one task row (stream `sms-<MessageSid>`). Pure. */
export function evolveTask(task: Row, event: TaskProjectionEvent): void {
  const at = iso(event.metadata.occurredAt);
  const metadata = task.metadata as Row;
  switch (event.type) {
    case 'SmsReceived':
      task.user_phone = event.data.from;
      task.sms_content = event.data.body;
      task.created_at = iso(event.data.receivedAt);
      Object.assign(metadata, { to: event.data.to, numMedia: event.data.numMedia, provider: event.data.provider });
      break;
    case 'KeywordDetected':
      task.keyword = event.data.keyword;
      break;
    case 'TaskClassified':
      task.category = event.data.category;
      task.priority = event.data.priority;
      task.complexity_score = event.data.complexityScore;
      task.model = event.data.model;
      task.classifier = event.data.classifier;
      if (task.status === 'received') task.status = 'classified';
      break;
    case 'RateLimited':
      task.rate_limit_window = event.data.window;
      task.rate_limit_retry_at = iso(event.data.retryAt);
      metadata.rateLimit = { limit: event.data.limit, notified: event.data.notified };
      advance(task, 'rate_limited');
      break;
    case 'SpendCapped':
      // Held back like a rate limit (status), told apart by the outcome 'spend_capped' and this entry.
      task.rate_limit_window = event.data.window;
      task.rate_limit_retry_at = iso(event.data.retryAt);
      metadata.spendCap = {
        scope: event.data.scope,
        window: event.data.window,
        capUsd: event.data.capUsd,
        notified: event.data.notified,
      };
      advance(task, 'rate_limited');
      break;
    case 'AiResponseGenerated':
      task.ai_response = event.data.text;
      task.model = event.data.model;
      task.fallback_used = event.data.fallbackUsed;
      task.prompt_tokens = Number(task.prompt_tokens ?? 0) + event.data.promptTokens;
      task.completion_tokens = Number(task.completion_tokens ?? 0) + event.data.completionTokens;
      task.tokens_used = Number(task.prompt_tokens) + Number(task.completion_tokens);
      task.cost_usd = Number(task.cost_usd ?? 0) + event.data.costUsd;
      task.ai_latency_ms = event.data.latencyMs;
      advance(task, 'answering');
      break;
    case 'ReplySent':
      task.reply_kind = event.data.kind;
      task.reply_count = Number(task.reply_count) + 1;
      task.segments = Number(task.segments) + event.data.segments;
      task.provider_message_sid = event.data.providerMessageSid;
      metadata.hasMore = event.data.hasMore;
      if (event.data.continuesMessageSid !== undefined) metadata.continuesMessageSid = event.data.continuesMessageSid;
      syncDelivery(task);
      advance(task, 'replied');
      break;
    case 'DeliveryStatusUpdated': {
      const deliveries = (metadata.deliveries ?? {}) as Record<string, Delivery>;
      const known = deliveries[event.data.providerMessageSid];
      if (deliveryAdvances(known?.status, event.data.status)) {
        deliveries[event.data.providerMessageSid] = {
          status: event.data.status,
          ...(event.data.errorCode !== undefined && { errorCode: event.data.errorCode }),
          at,
        };
      }
      metadata.deliveries = deliveries;
      syncDelivery(task);
      break;
    }
    case 'TaskCompleted':
      task.status = 'completed';
      task.outcome = event.data.outcome;
      task.success = true;
      task.processing_time = event.data.processingMs;
      task.completed_at = at;
      break;
    case 'TaskFailed':
      task.status = 'failed';
      task.success = false;
      task.error_type = event.data.errorType;
      // Provider errors quote the numbers they refused; user_phone already names the sender.
      task.error_message = maskPhonesIn(event.data.errorMessage);
      task.failed_step = event.data.step;
      task.attempts = event.data.attempts;
      task.rounds = Math.max(Number(task.rounds), event.data.round + 1);
      task.failures = Number(task.failures) + 1;
      task.failed_at = at;
      break;
    case 'TaskAbandoned':
      // The retry window ended with no retry: given up for good (the last failure's fields stay).
      task.status = 'abandoned';
      task.success = false;
      metadata.abandoned = { retryWindow: event.data.retryWindow, at };
      break;
    case 'TaskRetryRequested':
      task.status = 'retrying';
      task.success = null;
      task.rounds = Math.max(Number(task.rounds), event.data.round + 1);
      metadata.retryRequestedBy = event.data.requestedBy;
      break;
    default:
      assertNever(event);
  }
  task.updated_at = at;
  task.revision = event.revision;
}

/** tasks: one row per inbound SMS, with everything the service did about it. */
export const tasksReadModel = defineReadModel<(typeof TASK_EVENTS)[number]>({
  name: 'tasks',
  handles: TASK_EVENTS,
  tables: ['tasks'],
  async apply(tx, events) {
    // DeliveryStatusUpdated may also sit on a broadcast stream; only sms-<sid> streams are tasks.
    const sidOf = (e: TaskProjectionEvent) => streamId(e.streamName, 'sms');
    const rows = await loadRows(
      tx,
      'tasks',
      'message_sid',
      events.map(sidOf).filter((s) => s !== undefined),
    );
    const changed = new Set<Row>();
    // Status before this batch: a task entering or leaving 'failed' changes the failures list.
    const statusBefore = new Map<Row, unknown>();
    for (const event of events) {
      const sid = sidOf(event);
      if (sid === undefined) continue;
      let task = rows.get(sid);
      if (!task) {
        task = blankTask(sid, iso(event.metadata.occurredAt));
        rows.set(sid, task);
      }
      if (event.revision <= Number(task.revision)) continue;
      if (!statusBefore.has(task)) statusBefore.set(task, task.status);
      evolveTask(task, event);
      changed.add(task);
    }
    saveRows(tx, 'tasks', 'message_sid', COLUMNS, changed);
    const sids = (rows: Iterable<Row>) => [...rows].map((t) => String(t.message_sid));
    tx.announce({
      tasks: sids(changed),
      failures: sids([...changed].filter((t) => t.status === 'failed' || statusBefore.get(t) === 'failed')),
    });
  },
});
