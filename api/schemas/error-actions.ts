import { Type } from '@sinclair/typebox';

export const ErrorParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'the error_logs id (the TaskFailed event id)' }),
});

export const ResolveResponse = Type.Object({
  id: Type.String(),
  taskMessageSid: Type.String(),
  /** Always true: error_logs shows it once the projector has applied ErrorResolved. */
  resolved: Type.Boolean(),
});
