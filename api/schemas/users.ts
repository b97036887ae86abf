import { Type } from '@sinclair/typebox';
import { MessageView } from '../../projections/messages/queries.js';
import { Page } from '../../projections/shared/view.js';
import { UserFilter, UserView } from '../../projections/users/queries.js';
import { TakeoverView } from './conversation-actions.js';

export const UserListQuery = UserFilter;
export const UserList = Page(UserView);

export const PhoneParams = Type.Object({ phone: Type.String({ minLength: 1, maxLength: 64 }) });

const Window = Type.Object({
  window: Type.Union([Type.Literal('minute'), Type.Literal('day'), Type.Literal('month')]),
  used: Type.Integer(),
  limit: Type.Integer(),
  resetsAt: Type.String({ format: 'date-time' }),
});

export const UserDetail = Type.Object({
  user: UserView,
  usage: Type.Object({ tier: Type.String(), windows: Type.Array(Window) }),
  cost: Type.Object({ tasks: Type.Integer(), tokens: Type.Integer(), costUsd: Type.Number() }),
  conversation: Page(MessageView),
  /** A person has the conversation now (null: the AI answers). */
  takeover: Type.Union([TakeoverView, Type.Null()]),
});
