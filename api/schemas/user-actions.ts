import { Type } from '@sinclair/typebox';
import { Tier } from '../../domain/user/events.js';
import { Reason } from './actions.js';

export const UserParams = Type.Object({
  phone: Type.String({ pattern: '^\\+[1-9][0-9]{1,14}$', description: 'E.164 (`+` may be sent as %2B)' }),
});
export const TierBody = Type.Object({ tier: Tier, reason: Reason }, { additionalProperties: false });

/** What the change recorded; the users read model shows it once the projector has applied it. */
export const UserActionResponse = Type.Object({
  phone: Type.String(),
  action: Type.Union([Type.Literal('TierChanged'), Type.Literal('UserOptedOut'), Type.Literal('UserOptedIn')]),
  tier: Type.Optional(Tier),
});
