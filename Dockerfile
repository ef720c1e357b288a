# kube-lookout's image: `docker build -t ghcr.io/kube-lookout/kube-lookout:0.1.0 .`
# (docs/deploy.md). test/deploy/dockerfile.test.ts parses this file and checks its properties.
#
# The base is the official Node image, Debian bookworm "slim" variant, pinned to the Node minor
# the project is developed and tested with (package.json devDependencies "node": 24.21.x).
# No digest: Renovate/Dependabot can bump the tag; pin a digest in your own builds if you need
# byte-for-byte reproducible bases.
ARG NODE_VERSION=24.21

# ---- deps: production dependencies only ---------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# `npm ci`: exactly the lockfile. `--omit=dev`: no TypeScript, linters or the pinned `node`
# dev dependency in the image. better-sqlite3 ships prebuilt binaries for linux-x64/arm64
# (glibc and musl) inside its package, so no python/make/g++ are needed; on another platform
# add `apt-get install -y python3 make g++` here and it builds from source.
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

# ---- runtime ------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="kube-lookout" \
      org.opencontainers.image.description="A lightweight Kubernetes sidecar and embeddable library: informer cache API, Helm deprecation checks, change events on NATS, OpenTelemetry metrics." \
      org.opencontainers.image.source="https://github.com/kube-lookout/kube-lookout" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"

# tini as PID 1: Node does not reap zombies (the Helm scan's worker threads are threads, but a
# plugin may spawn processes) and, as PID 1, gets no default signal handlers; tini forwards
# SIGTERM to Node, whose handler shuts down in order (lease released, outbox flushed).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

# The state directory (SQLite file, store.path: /var/lib/kube-lookout/state.db) is the only
# place written besides /tmp; in Kubernetes both are volumes and the root filesystem is
# read-only. Owned by the runtime user so that `docker run` works without a volume too.
RUN mkdir -p /var/lib/kube-lookout /etc/kube-lookout \
    && chown 65532:65532 /var/lib/kube-lookout
VOLUME ["/var/lib/kube-lookout"]

WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
# The application: TypeScript run by Node's type stripping, no build step. Owned by root and
# not writable by the runtime user.
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY plugins ./plugins

# Numeric (not a name) so that Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 65532:65532

# api.port's default: the cache API, /healthz, /readyz and /metrics.
EXPOSE 9464

# No HEALTHCHECK: Kubernetes ignores it and uses the probes on /healthz and /readyz
# (manifests/base/deployment.yaml); the image has no curl to run one with.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/node", "/app/bin/kube-lookout.js"]
CMD ["run", "--config", "/etc/kube-lookout/config.yaml"]
