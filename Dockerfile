# The clara-wf image: the gateway in a cluster (`gateway.enabled` in the
# chart runs `clara-wf dicom serve` from it), and any clara-wf command.
#   docker build -t <registry>/clara-wf:0.1.0 .
#   docker push <registry>/clara-wf:0.1.0
# then install with --set gateway.image.repository=<registry>/clara-wf (docs/cluster.md).
# Node 22: package.json's engines (the slim image of the Node 20 line would warn).
FROM node:22-bookworm-slim AS build
# better-sqlite3 builds from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY vendor ./vendor
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# Only what `npm pack` ships (package.json "files"), and the production dependencies.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/generated ./generated
COPY --from=build /app/schemas ./schemas
COPY --from=build /app/templates ./templates
COPY --from=build /app/charts ./charts
COPY --from=build /app/vendor ./vendor
COPY --from=build /app/examples ./examples
# The image's own user (node, uid 1000), as the chart's pod securityContext runs it.
USER 1000:1000
ENV HOME=/tmp
ENTRYPOINT ["/app/bin/clara-wf"]
CMD ["--help"]
