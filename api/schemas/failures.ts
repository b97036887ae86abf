import { Type } from '@sinclair/typebox';
import { Page } from '../../projections/shared/view.js';
import { FailedTaskView } from '../../projections/tasks/queries.js';

export const FailureListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});
export const FailureList = Page(FailedTaskView);
