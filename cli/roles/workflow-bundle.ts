import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../../infra/temporal-data-converter.js';

export const WORKFLOWS_PATH = path.resolve(import.meta.dirname, '../../workflows/index.ts');

/**
 * Bundles workflows/ for the Temporal sandbox. Our sources import `./x.js` (NodeNext style) that
 * resolve to `./x.ts`; webpack needs the same alias.
 */
export async function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    // The workers' failure converter (infra/temporal-data-converter.ts), for failures raised in workflows.
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: quietLogger,
    webpackConfigHook: (config) => {
      config.resolve = { ...config.resolve, extensionAlias: { '.js': ['.ts', '.js'] } };
      return config;
    },
  });
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };
