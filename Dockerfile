# Shipyard's image: one image for every role, the command picks it (`up`, `runner`; `server` and `worker` land
# with the server/worker split). deploy/compose.yaml runs it split over one PostgreSQL.
FROM node:20-bookworm-slim

# bubblewrap: the runner's step sandbox. git: job stages and workflow steps clone, commit and push. tini: PID 1
# that forwards SIGTERM to node and reaps what steps leave behind. chromium, fonts-liberation: the preview check.
RUN apt-get update \
  && apt-get install -y --no-install-recommends bubblewrap ca-certificates chromium fonts-liberation git tini \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
# No build step: bin/shipyard.js runs the TypeScript sources through tsx, which is a runtime dependency.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY cassettes ./cassettes
COPY examples ./examples
COPY templates ./templates

# Steps run as this user (bubblewrap needs no setuid bit or capability: it uses an unprivileged user namespace).
RUN mkdir -p /data /work && chown node:node /data /work
USER node
ENV NODE_ENV=production SHIPYARD_DATA_DIR=/data SHIPYARD_HOST=0.0.0.0 SHIPYARD_PORT=7420
VOLUME ["/data"]
# The API, and the preview host (every preview on an origin of its own).
EXPOSE 7420 7421
ENTRYPOINT ["tini", "--", "node", "/app/bin/shipyard.js"]
CMD ["up"]
