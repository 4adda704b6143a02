# Build stage: compile TypeScript with the dev dependencies (not the optional ones: the Codex CLI's
# platform binary is not needed to compile).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=optional
COPY tsconfig.json ./
COPY src ./src
COPY routes ./routes
COPY schemas ./schemas
RUN npm run build

# Runtime stage: production dependencies only (the pinned Codex CLI among them), non-root.
# Everything that is written lives in the volume, Codex's own home (CODEX_HOME) included, so the
# root file system can be read-only (docker run --read-only --tmpfs /tmp -v ...:/var/lib/codexd).
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    CODEXD_STATE_DIR=/var/lib/codexd \
    CODEX_HOME=/var/lib/codexd/codex \
    CODEXD_HOST=127.0.0.1 \
    CODEXD_PORT=4319
WORKDIR /app
COPY package.json package-lock.json ./
# Nothing a running daemon reads is removed: source maps, type declarations, Markdown and the
# packages' own test and example folders (the Codex CLI is left as published).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
 && find node_modules -path node_modules/@openai -prune -o -type f \
      \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.md' \) ! -iname 'licen*' -print0 | xargs -0 rm -f \
 && find node_modules -path node_modules/@openai -prune -o -type d \
      \( -name test -o -name tests -o -name __tests__ -o -name example -o -name examples -o -name benchmarks \) -print0 | xargs -0 rm -rf
COPY --from=build /app/dist ./dist
COPY src/console/ui ./src/console/ui
COPY openapi.yaml ./
RUN mkdir -p /var/lib/codexd/codex && chown -R node:node /var/lib/codexd
USER node
VOLUME ["/var/lib/codexd"]
EXPOSE 4319
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.CODEXD_PORT||4319)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
