# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY routes ./routes
COPY schemas ./schemas
RUN npm run build

# Runtime stage: production dependencies only (the pinned Codex CLI among them), non-root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    CODEXD_STATE_DIR=/var/lib/codexd \
    CODEXD_HOST=127.0.0.1 \
    CODEXD_PORT=4319
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY src/console/ui ./src/console/ui
COPY openapi.yaml ./
RUN mkdir -p /var/lib/codexd && chown node:node /var/lib/codexd
USER node
VOLUME ["/var/lib/codexd"]
EXPOSE 4319
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.CODEXD_PORT||4319)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
