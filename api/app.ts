import formBody from '@fastify/formbody';
import sse, { type SSEPluginOptions } from '@fastify/sse';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { mediaOrigins } from '../domain/sms/media.js';
import type { EventStore } from '../eventstore/port.js';
import { type Config, quotaPolicy, spendPolicy, temporalUiUrl } from '../infra/config.js';
import type { Pool } from '../infra/db.js';
import type { Logger } from '../infra/logger.js';
import adminAuth, { adminAuthOptions } from './plugins/admin-auth.js';
import dashboard from './plugins/dashboard.js';
import errorHandler from './plugins/error-handler.js';
import eventStore from './plugins/event-store.js';
import horizonWatch from './plugins/horizon-watch.js';
import liveChanges from './plugins/live-changes.js';
import metrics from './plugins/metrics.js';
import openapi from './plugins/openapi.js';
import operatorAccess from './plugins/operator-access.js';
import postgres from './plugins/postgres.js';
import readiness from './plugins/readiness.js';
import security, { securityOptions } from './plugins/security.js';
import smsInbox, { type SmsInboxOptions } from './plugins/sms-inbox.js';
import temporal from './plugins/temporal.js';
import twilioSignature, { twilioSignatureOptions } from './plugins/twilio-signature.js';
import analystRedaction from './redact.js';
import analytics from './routes/analytics.js';
import audit from './routes/audit.js';
import auth, { authRoutesOptions } from './routes/auth.js';
import broadcasts, { broadcastRoutesOptions } from './routes/broadcasts.js';
import conversationActions, { conversationActionOptions } from './routes/conversation-actions.js';
import devLink, { type DevLinkOptions } from './routes/dev-link.js';
import errorActions from './routes/error-actions.js';
import failures from './routes/failures.js';
import health, { healthDetail, healthRoutesOptions } from './routes/health.js';
import projectionActions from './routes/projection-actions.js';
import projectionsStatus from './routes/projections.js';
import settings from './routes/settings.js';
import simulator from './routes/simulator.js';
import smsWebhooks from './routes/sms-webhooks.js';
import spend from './routes/spend.js';
import stream from './routes/stream.js';
import taskActions from './routes/task-actions.js';
import tasks from './routes/tasks.js';
import temporalCodec, { temporalCodecOptions } from './routes/temporal-codec.js';
import tokens from './routes/tokens.js';
import userActions from './routes/user-actions.js';
import users from './routes/users.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  pool: Pool;
  temporal: Client;
  store: EventStore;
  /** The SMS inbox starter (on by default); tests turn it off or tune it. */
  inbox?: Pick<SmsInboxOptions, 'enabled' | 'databaseUrl' | 'tuning'>;
  /** `sms-agent dev`'s one-time sign-in link; never mounted in production. */
  devSignIn?: DevLinkOptions;
}

/** Plugins first (external services, then app services), then routes. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: true,
    bodyLimit: 64 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(errorHandler);
  // Headers, CORS and the public routes' rate limit: before any route, so all of them get it.
  await app.register(security, securityOptions(deps.config));
  await app.register(readiness);
  await app.register(postgres, { pool: deps.pool });
  await app.register(temporal, { client: deps.temporal });
  await app.register(eventStore, { store: deps.store });
  await app.register(operatorAccess, { token: deps.config.METRICS_TOKEN });
  await app.register(metrics);
  await app.register(horizonWatch, { config: deps.config, logger: deps.logger });
  await app.register(formBody);
  await app.register(twilioSignature, twilioSignatureOptions(deps.config));
  await app.register(adminAuth, adminAuthOptions(deps.config));
  await app.register(liveChanges);
  // The package's default export is the fastify-plugin wrapped one; its types name it differently.
  await app.register(sse as unknown as FastifyPluginAsync<SSEPluginOptions>);
  await app.register(smsInbox, { taskQueue: deps.config.TEMPORAL_TASK_QUEUE, logger: deps.logger, ...deps.inbox });
  // Before the routes: the document is built from routes registered after it; redaction hooks every answer.
  await app.register(openapi);
  await app.register(analystRedaction);
  // The dashboard's files and deep links at `/`; before the routes, as /health answers a browser with the app.
  await app.register(dashboard);

  await app.register(health);
  await app.register(healthDetail, healthRoutesOptions(deps.config));
  await app.register(smsWebhooks, { mediaOrigins: mediaOrigins(deps.config.TWILIO_API_BASE_URL) });
  await app.register(simulator, { ourNumber: deps.config.TWILIO_PHONE_NUMBER ?? '+15005550006' });
  await app.register(temporalCodec, temporalCodecOptions(deps.config));
  await app.register(tasks, { temporalUiUrl: temporalUiUrl(deps.config), namespace: deps.config.TEMPORAL_NAMESPACE });
  await app.register(failures);
  await app.register(users, { policy: quotaPolicy(deps.config) });
  await app.register(analytics);
  await app.register(projectionsStatus);
  await app.register(stream);
  await app.register(auth, authRoutesOptions(deps.config));
  if (deps.devSignIn && deps.config.NODE_ENV !== 'production') await app.register(devLink, deps.devSignIn);
  await app.register(tokens);
  // Admin actions and the audit trail: each change is an event with its actor.
  await app.register(taskActions);
  await app.register(userActions);
  await app.register(conversationActions, conversationActionOptions(deps.config));
  await app.register(errorActions);
  await app.register(projectionActions);
  await app.register(audit);
  await app.register(broadcasts, broadcastRoutesOptions(deps.config));
  // Spend caps in money: the daily AI budget (admin sets it) and cost against the caps.
  await app.register(settings, { config: deps.config });
  await app.register(spend, { config: deps.config, policy: spendPolicy(deps.config) });
  return app as unknown as FastifyInstance;
}
