import { broadcastStream } from '../events/envelope.js';

/** Stream names of a broadcast (all of category `broadcast`); see events.ts. */
export { broadcastStream };
export const audienceStream = (broadcastId: string) => `${broadcastStream(broadcastId)}-audience`;
export const recipientStream = (broadcastId: string, seq: number) => `${broadcastStream(broadcastId)}-${seq}`;
/** The workflow that sends it: the same name as its stream. */
export const broadcastWorkflowId = (broadcastId: string) => broadcastStream(broadcastId);
