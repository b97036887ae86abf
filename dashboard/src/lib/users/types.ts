import type { paths } from '../api/schema.js';

/** GET /api/users/:phone's answer. */
export type UserDetail = paths['/api/users/{phone}']['get']['responses'][200]['content']['application/json'];
export type Message = UserDetail['conversation']['items'][number];
export type UsageWindow = UserDetail['usage']['windows'][number];
export type Tier = NonNullable<
  paths['/api/users/{phone}']['patch']['requestBody']
>['content']['application/json']['tier'];
