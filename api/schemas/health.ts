import { Type } from '@sinclair/typebox';

export const LivenessResponse = Type.Object({ status: Type.Literal('ok'), uptimeSeconds: Type.Number() });

const Check = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  /** A required dependency down makes the instance not ready; an optional one, degraded. */
  required: Type.Boolean(),
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String()),
});

export const ReadinessResponse = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('not_ready')]),
  /** Each dependency's check: for operators only (METRICS_TOKEN or a loopback caller). */
  checks: Type.Optional(Type.Record(Type.String(), Check)),
});
