# The service image, for the API and the job worker alike (docker-compose.yml runs both from it).
# scripts/image-check.sh performs these same steps in a scratch folder in CI, where no Docker
# engine runs: keep the two in step.

# ---- build: full install (dev dependencies: the Prisma CLI, esbuild, uPlot), which generates the
# Prisma client into src/generated/prisma and bundles the dashboard into web/dist (postinstall).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY web ./web
RUN npm ci --no-audit --no-fund

# ---- runtime: production dependencies only, the sources (Node 24 runs them as they are), the
# generated client and the built dashboard from the build stage.
FROM node:24-bookworm-slim
# tini is process 1: it passes SIGTERM from `docker stop` on to node and reaps zombies; node
# itself is started directly (not through npm, which does not pass signals on).
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /data && chown node:node /data
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data \
  # glibc's malloc: two arenas, a fixed trim threshold and a 64 KiB mmap threshold return freed
  # memory to the system (src/process-settings.ts says why and what was measured).
  MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072 MALLOC_MMAP_THRESHOLD_=65536
COPY package.json package-lock.json ./
# No install scripts: postinstall's generation and bundling happened in the build stage.
# --omit=optional too: prisma and typescript are optional peers of @prisma/client, which npm
# keeps under --omit=dev alone (the only purely optional package, pg-cloudflare, is for
# Cloudflare Workers).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY src ./src
COPY --from=build /app/src/generated ./src/generated
COPY --from=build /app/web ./web
COPY prisma ./prisma
EXPOSE 3000
VOLUME ["/data"]
USER node
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# The worker: `command: ["node", "src/worker.ts"]` (docker-compose.yml).
CMD ["node", "--max-semi-space-size=4", "src/server.ts"]
