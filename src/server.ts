import { websocket } from "hono/bun";
import { createApp } from "./app.ts";
import type { Installation } from "./installation.ts";

export interface RunningServer {
  url: URL;
  stop(): Promise<void>;
}

export function startServer(inst: Installation): RunningServer {
  const app = createApp(inst);
  const server = Bun.serve({
    hostname: inst.config.listen.hostname,
    port: inst.config.listen.port,
    fetch: app.fetch,
    websocket,
    maxRequestBodySize: 16 * 1024 * 1024,
    development: false,
  });
  inst.log.info("listening", { address: `${server.hostname}:${server.port}`, publicUrl: inst.config.publicUrl.origin });
  return {
    url: new URL(`http://${server.hostname}:${server.port}`),
    async stop() {
      await server.stop();
      inst.db.$client.close();
    },
  };
}
