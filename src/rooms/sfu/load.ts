// Loads the media server (and werift) on first use. werift's certificate code (tsyringe, through @peculiar/x509) needs
// the Reflect metadata polyfill installed before it runs. Its own `import "reflect-metadata"` is not enough in the
// single binary: Bun's bundler runs the ES-module parts of a lazily loaded graph before its CommonJS side-effect
// imports, so tsyringe found no polyfill and the SFU failed to load in the binary (it worked under `bun run`).
// Loading the polyfill in a step of its own first fixes the order.
export async function loadMediaServer(): Promise<typeof import("./media-server.ts")> {
  await import("reflect-metadata");
  return await import("./media-server.ts");
}
