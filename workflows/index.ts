// The worker's workflowsPath: every workflow type the worker runs is exported here.

export { broadcast, broadcastProgressQuery, cancelBroadcastSignal } from './broadcast.js';
export { humanReply } from './human-reply.js';
export { retrySignal, smsTask, statusQuery } from './sms-task.js';
