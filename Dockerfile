# The one image of the lab: service and worker. The pid1 lever's before/after is the manifest's
# command form (shell vs exec), not a second image, so there is no ENTRYPOINT/CMD shell wrapper here.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci: the lockfile is complete for every platform.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY common common
COPY service service
COPY worker worker
COPY lab lab
COPY loadtest loadtest
RUN npx tsc -p tsconfig.json

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Read at runtime through paths relative to dist/ (loadtest/scenario.ts).
COPY loadtest/scenario.json loadtest/scenario.json
# Non-root, numeric so the restricted Pod Security profile can verify runAsNonRoot.
USER 10001:10001
# Exec form: node is PID 1 when a manifest runs the image without a command of its own.
CMD ["node", "dist/service/main.js"]
