// Real processes for tests: free ports, waiting for a server, and stopping whatever was started.
import type { Subprocess } from "bun";
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls (every `pollMs`) until fetch(url) answers `ok`, or throws with what the process printed. */
export async function waitFor(url: string, init: RequestInit & { tls?: { ca: string } } = {}, ms = 15_000, proc?: Subprocess, pollMs = 20): Promise<number> {
  const started = performance.now();
  let last = "";
  while (performance.now() - started < ms) {
    try {
      const r = await fetch(url, { ...init, signal: AbortSignal.timeout(1000) } as RequestInit);
      if (r.ok) return performance.now() - started;
      last = `status ${r.status}`;
    } catch (err) {
      last = String(err);
    }
    if (proc?.exitCode != null) throw new Error(`process exited (${proc.exitCode}) before ${url} answered`);
    await Bun.sleep(pollMs);
  }
  throw new Error(`${url} did not answer within ${ms} ms: ${last}`);
}

export async function stop(proc: Subprocess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null) return;
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
  await proc.exited;
  clearTimeout(timer);
}

/** Resolves once something accepts TCP connections on the loopback port. */
export async function waitForPort(port: number, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      socket.end();
      return;
    } catch {
      if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port}`);
      await Bun.sleep(100);
    }
  }
}
