import { Type } from '@sinclair/typebox';
import { AuditEntryView } from '../../projections/audit/queries.js';

export { AuditFilter as AuditQuery } from '../../projections/audit/queries.js';
export const AuditPage = Type.Object({
  items: Type.Array(AuditEntryView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
