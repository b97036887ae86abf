# One image for every role: `sms-agent api | worker | projector | migrate`.
FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# The API listens on all interfaces inside the container.
ENV HOST=0.0.0.0 PORT=3000
USER node
ENTRYPOINT ["node", "bin/sms-agent.mjs"]
CMD ["api"]
