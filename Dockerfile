# syntax=docker/dockerfile:1
# Build the single binary with the official Bun image, run it on a slim base as a non-root user.

FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json package-lock.json bunfig.toml tsconfig.json ./
RUN bun install --production --ignore-scripts
COPY src ./src
COPY web ./web
COPY scripts/build.ts scripts/lazy-builtins.ts ./scripts/
RUN bun run scripts/build.ts --outfile /out/kabinet

FROM debian:bookworm-slim
RUN groupadd --system --gid 10001 kabinet \
 && useradd --system --uid 10001 --gid kabinet --home-dir /data --shell /usr/sbin/nologin kabinet \
 && mkdir -p /data /backups && chown kabinet:kabinet /data /backups && chmod 700 /data /backups
COPY --from=build /out/kabinet /usr/local/bin/kabinet
USER kabinet
WORKDIR /data
ENV KABINET_DATA_DIR=/data KABINET_LISTEN=0.0.0.0:8080
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 CMD ["/usr/local/bin/kabinet", "health"]
ENTRYPOINT ["/usr/local/bin/kabinet"]
CMD ["serve"]
