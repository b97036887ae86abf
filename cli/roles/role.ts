import type { Config } from '../../infra/config.js';
import type { Logger } from '../../infra/logger.js';

/** What every role (api, worker, projector) gets; `dev` runs them all in one process. */
export interface RoleContext {
  config: Config;
  logger: Logger;
  databaseUrl: string;
  temporalAddress: string;
}

export interface RunningRole {
  name: string;
  /** Resolves when the role stops by itself (e.g. a fatal error); dev then stops everything. */
  done?: Promise<void>;
  stop(): Promise<void>;
}
