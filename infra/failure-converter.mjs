// Plain JavaScript: the Temporal SDK loads this file by path, with require(), outside tsx and vitest;
// the workflow bundle includes it too (cli/roles/workflow-bundle.ts).
import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into a payload, so the payload codec encrypts them like any
 * other payload (an SDK or Twilio error can quote a phone number).
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
