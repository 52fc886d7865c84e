// Loads the media server (and werift) on first use. werift's certificate code (tsyringe, through @peculiar/x509) needs
// the Reflect metadata polyfill installed before it runs. Its own `import "reflect-metadata"` is not enough in the
// single binary: Bun's bundler runs the ES-module parts of a lazily loaded graph before its CommonJS side-effect
// imports, so tsyringe found no polyfill and the SFU failed to load in the binary (it worked under `bun run`).
// Loading the polyfill in a step of its own first fixes the order.
import type { Installation } from "../../installation.ts";
import type { MediaServerOptions } from "./media-server.ts";

export async function loadMediaServer(): Promise<typeof import("./media-server.ts")> {
  await import("reflect-metadata");
  return await import("./media-server.ts");
}

/** The network check's echo server (src/rooms/sfu/network-check.ts), loaded like the media server. */
export async function loadNetworkChecks(): Promise<typeof import("./network-check.ts")> {
  await import("reflect-metadata");
  return await import("./network-check.ts");
}

/** Where media flows, from the configuration: the same for calls and network checks. The TURN servers are not
 *  here: they are for browsers; the SFU answers on its own address. */
export function mediaOptions(inst: Pick<Installation, "config">): MediaServerOptions {
  return {
    portRange: inst.config.mediaPorts,
    advertise: inst.config.publicIp ? [inst.config.publicIp] : [],
  };
}
