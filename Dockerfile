# syntax=docker/dockerfile:1
# Two stages: `build` compiles TypeScript with the development dependencies; `runtime` carries
# only the compiled output and the production dependencies, and runs as the unprivileged `node`.
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
# Manifests first, so the install layer is reused until they change. The toolkit is a workspace
# package (packages/zero-downtime), so its manifest is part of the install. No install scripts:
# the build needs only the compiler (the toolkit is compiled below, not by its prepare script).
COPY package.json package-lock.json ./
COPY packages/zero-downtime/package.json packages/zero-downtime/
RUN npm ci --ignore-scripts --no-audit --no-fund
# The whole context (.dockerignore keeps out node_modules, dist, .git, local data): the build
# follows imports wherever they lead, and only the compiled output leaves this stage.
COPY . .
RUN npm run build --workspace zero-downtime-toolkit && npm run build

FROM node:${NODE_VERSION}-slim AS runtime
# The commit this image was built from; /health/live and /health/ready report it, and the
# deploy pipeline reads it there to verify which version serves.
ARG GIT_COMMIT=""
ENV NODE_ENV=production \
    PORT=3000 \
    GIT_COMMIT=${GIT_COMMIT}
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/zero-downtime/package.json packages/zero-downtime/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/packages/zero-downtime/dist ./packages/zero-downtime/dist
COPY --from=build /app/dist ./dist
# SQL migrations are not compiled; the runner reads them from here, `.ts` ones from dist/.
COPY migrations ./migrations
USER node
EXPOSE 3000
# Liveness only: it never touches the database, so a database blip does not mark the container
# unhealthy. `fetch` is built into Node 20, so the image needs no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# node itself is PID 1 and receives SIGTERM (npm start would swallow it and skip the drain).
# Migrations run from the same image, from the pipeline, never on boot:
#   docker run --rm -e DATABASE_URL=... <image> node node_modules/zero-downtime-toolkit/dist/cli/index.js migrate pre
CMD ["node", "dist/app/server.js"]
