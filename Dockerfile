# The service image: the same install steps as CI (.ci/run), then `npm start`.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
# The dashboard's sources: postinstall bundles them with esbuild.
COPY web ./web
# Dev dependencies stay: the Prisma CLI generates the client at install, and tsx runs the sources.
RUN npm ci --no-audit --no-fund && npm cache clean --force
COPY src ./src
COPY openapi ./openapi
EXPOSE 3000
VOLUME ["/data"]
USER node
CMD ["npm", "start"]
