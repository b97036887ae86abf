# One image for every role: `api`, `worker`, `projector`, `migrate` (the CMD picks; compose sets it).
# It runs compiled JavaScript (dist/, the workflow bundle prebuilt): no TypeScript loader, no
# webpack at start. Node 22: Node 20 left security support in April 2026 (the tests here run on 20).
ARG NODE_IMAGE=node:22.20.0-bookworm-slim

# All dependencies, for the build.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# TypeScript to dist/, the workflow bundle, the dashboard.
FROM deps AS build
COPY . .
RUN npm run build && npm run build:dashboard

# Production dependencies only.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The Temporal core bridge ships native builds for five platforms (~110 MB of the ~150 MB):
# keep only this one's.
RUN cd node_modules/@temporalio/core-bridge/releases \
  && ls | grep -vx "$(uname -m)-unknown-linux-gnu" | xargs rm -rf \
  && test -f "$(uname -m)-unknown-linux-gnu/index.node"

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: it passes SIGTERM on to Node (the roles' graceful stop, cli/shutdown.ts) and reaps.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 NODE_OPTIONS=--enable-source-maps
# Owned by root, run as `node`: the app cannot rewrite its own code.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY bin ./bin
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs
COPY --from=build /app/dist ./dist
COPY --from=build /app/dashboard/build ./dashboard/build
USER node
EXPOSE 3000
# api: GET /health; worker and projector: the role's process is alive and its dependency answers
# on TCP (deploy/healthcheck.mjs says why no more).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "deploy/healthcheck.mjs"]
ENTRYPOINT ["tini", "--", "node", "bin/sms-agent.mjs"]
CMD ["api"]
