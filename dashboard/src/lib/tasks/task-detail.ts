import { api, call } from '../api/client.js';

export type { TaskDetail, TimelineEvent } from './timeline.js';

export const readTask = (messageSid: string) =>
  call('Reading the task', () => api.GET('/api/tasks/{messageSid}', { params: { path: { messageSid } } }));
