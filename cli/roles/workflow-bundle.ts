import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../../infra/temporal-data-converter.js';

export const WORKFLOWS_PATH = path.resolve(import.meta.dirname, '../../workflows/index.ts');

/**
 * Where `npm run build` writes the prebuilt bundle (dist/workflow-bundle.js). Looked for only when
 * this module runs compiled (dist/cli/roles/workflow-bundle.js): from the sources, the bundle is
 * always made fresh, so a stale dist/ can never feed old workflow code to a dev worker or a test.
 */
export const PREBUILT_BUNDLE_PATH = import.meta.filename.endsWith('.js')
  ? path.resolve(import.meta.dirname, '../../workflow-bundle.js')
  : undefined;

/**
 * The workflow code for the Temporal sandbox: the prebuilt file when compiled (no webpack at
 * start, see README "Production"), else bundled now from workflows/.
 */
export async function bundleWorkflows(): Promise<WorkflowBundle> {
  if (PREBUILT_BUNDLE_PATH && existsSync(PREBUILT_BUNDLE_PATH)) {
    return { code: await readFile(PREBUILT_BUNDLE_PATH, 'utf8') };
  }
  return bundleWorkflowsFromSources();
}

/**
 * Bundles workflows/ with webpack. Our sources import `./x.js` (NodeNext style) that resolve to
 * `./x.ts`; webpack needs the same alias.
 */
export async function bundleWorkflowsFromSources(): Promise<WorkflowBundle> {
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
