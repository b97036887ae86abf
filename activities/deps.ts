import type { EventStore } from '../eventstore/port.js';
import type { Config } from '../infra/config.js';
import type { Logger } from '../infra/logger.js';
import type { Queryable } from '../projections/shared/sql.js';
import type { AiClient } from './ai-client.js';
import type { AlertSender } from './alerts.js';
import type { GlobalBudgetReader } from './global-budget.js';
import type { SmsProvider } from './sms-provider.js';

/** Everything activities touch; only the worker builds the real ones. */
export interface ActivityDeps {
  config: Config;
  logger: Logger;
  store: EventStore;
  sms: SmsProvider;
  ai: AiClient;
  alerts: AlertSender;
  /** The read models' database: everyone's AI spend today (activities/global-budget.ts). */
  readModels?: Queryable;
  /** Replaces the reader built from `readModels` (tests). */
  globalBudget?: GlobalBudgetReader;
  /** Injected clock (tests pin it to check quota windows). */
  now?: () => Date;
}
