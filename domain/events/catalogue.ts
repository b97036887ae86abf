import type { TSchema } from '@sinclair/typebox';
import { FormatRegistry } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { type AuditEvent, auditEvents } from '../admin/audit-events.js';
import { type AdminEvent, adminEvents } from '../admin/events.js';
import { type BroadcastEvent, broadcastEvents } from '../broadcast/events.js';
import { type SettingsEvent, settingsEvents } from '../settings/events.js';
import { codePointsAtMost, MAX_BODY_CODE_POINTS } from '../sms/inbound-body.js';
import { type SmsTaskEvent, smsTaskEvents } from '../sms-task/events.js';
import { type UserEvent, userEvents } from '../user/events.js';
import type { EventDefinition, EventMetadata } from './envelope.js';

if (!FormatRegistry.Has('sms-body')) {
  // The SMS body's one measure (code points), shared with the webhooks.
  FormatRegistry.Set('sms-body', (v) => !v.includes('\u0000') && codePointsAtMost(v, MAX_BODY_CODE_POINTS));
}
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v));
}

/** Every domain event of the service. */
export type DomainEvent = SmsTaskEvent | UserEvent | BroadcastEvent | AuditEvent | AdminEvent | SettingsEvent;
export type DomainEventType = DomainEvent['type'];
export type EventOfType<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;

const definitions: EventDefinition[] = [
  ...smsTaskEvents,
  ...userEvents,
  ...broadcastEvents,
  ...auditEvents,
  ...adminEvents,
  ...settingsEvents,
];
const byType = new Map<string, { definition: EventDefinition; check: TypeCheck<TSchema> }>(
  definitions.map((d) => [d.type, { definition: d, check: TypeCompiler.Compile(d.data) }]),
);

export const EVENT_TYPES = definitions.map((d) => d.type) as DomainEventType[];

/** Upcasters turn version N of an event's data into version N+1; keyed `Type@N`. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;
const upcasters = new Map<string, Upcaster>();

export function registerUpcaster(type: DomainEventType, fromVersion: number, upcast: Upcaster): void {
  upcasters.set(`${type}@${fromVersion}`, upcast);
}

export class EventSchemaError extends Error {
  constructor(
    readonly eventType: string,
    readonly problems: string[],
  ) {
    super(`Event ${eventType} does not match its schema: ${problems.join('; ')}`);
    this.name = 'EventSchemaError';
  }
}

export function currentSchemaVersion(type: string): number {
  const entry = byType.get(type);
  if (!entry) throw new EventSchemaError(type, ['unknown event type']);
  return entry.definition.schemaVersion;
}

/** Throws EventSchemaError unless `data` is valid for the current version of `type`. */
export function assertValidEvent(type: string, data: unknown): void {
  const entry = byType.get(type);
  if (!entry) throw new EventSchemaError(type, ['unknown event type']);
  if (!entry.check.Check(data)) {
    throw new EventSchemaError(
      type,
      [...entry.check.Errors(data)].slice(0, 5).map((e) => `${e.path || '/'} ${e.message}`),
    );
  }
}

/**
 * Brings a stored event to the current schema: applies upcasters from its recorded version,
 * then validates. Used on every read, so old events read as the current shape.
 */
export function upcastEvent(event: { type: string; data: unknown; metadata: EventMetadata }): DomainEvent {
  const target = currentSchemaVersion(event.type);
  let version = event.metadata.schemaVersion ?? 1;
  let data = event.data as Record<string, unknown>;
  while (version < target) {
    const upcast = upcasters.get(`${event.type}@${version}`);
    if (!upcast) throw new EventSchemaError(event.type, [`no upcaster from version ${version}`]);
    data = upcast(data);
    version++;
  }
  assertValidEvent(event.type, data);
  return { type: event.type, data, metadata: { ...event.metadata, schemaVersion: version } } as DomainEvent;
}

/** Builds a new event with metadata stamped at the current schema version, validated. */
export function createEvent<T extends DomainEventType>(
  type: T,
  data: EventOfType<T>['data'],
  metadata: Omit<EventMetadata, 'schemaVersion'>,
): EventOfType<T> {
  assertValidEvent(type, data);
  return { type, data, metadata: { ...metadata, schemaVersion: currentSchemaVersion(type) } } as EventOfType<T>;
}
