import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { smsTask } from '../../workflows/sms-task.js';
import { type SmsTaskInput, workflowIdFor } from '../../workflows/types.js';

declare module 'fastify' {
  interface FastifyInstance {
    smsTasks: {
      /** Starts `sms-<MessageSid>` once; a duplicate delivery finds the existing run. */
      start(input: SmsTaskInput): Promise<{ workflowId: string; duplicate: boolean }>;
    };
  }
}

export default fp(
  async (app: FastifyInstance, options: { taskQueue: string }) => {
    app.decorate('smsTasks', {
      async start(input: SmsTaskInput) {
        const workflowId = workflowIdFor(input.messageSid);
        try {
          const handle = await app.temporal.workflow.start<typeof smsTask>('smsTask', {
            workflowId,
            taskQueue: options.taskQueue,
            args: [input],
            // Running: attach to it. Closed: refuse. Either way Twilio's retries start nothing new.
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          });
          return { workflowId, duplicate: handle.firstExecutionRunId === undefined };
        } catch (error) {
          if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, duplicate: true };
          throw error;
        }
      },
    });
  },
  { name: 'sms-tasks', dependencies: ['temporal'] },
);
