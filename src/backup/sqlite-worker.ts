// The database work of a backup or a drill that takes long and blocks its thread (bun:sqlite is synchronous):
// `VACUUM INTO` (a consistent snapshot from a connection of its own, while the server keeps writing through WAL) and
// `PRAGMA integrity_check`. Run in a Bun Worker so the server keeps answering meanwhile. The worker's code is a Blob
// rather than a file: the compiled binary bundles src/ into one file, and a Blob worker needs no separate entrypoint
// in scripts/build.ts; it imports only bun:sqlite, which the runtime provides.
const WORKER_CODE = `
import { Database } from "bun:sqlite";
self.onmessage = (event) => {
  const { op, path, dest } = event.data;
  let db;
  try {
    db = new Database(path, { readonly: true });
    db.run("PRAGMA busy_timeout = 30000");
    if (op === "vacuum-into") {
      db.run("VACUUM INTO ?", [dest]);
      postMessage({ ok: true });
    } else {
      const rows = db.query("PRAGMA integrity_check").all().map((r) => Object.values(r)[0]);
      postMessage({ ok: true, result: rows.join("; ") });
    }
  } catch (err) {
    postMessage({ ok: false, error: String(err && err.message || err) });
  } finally {
    try { db && db.close(); } catch {}
  }
};`;

let url: string | null = null;

function run(message: { op: "vacuum-into" | "integrity-check"; path: string; dest?: string }): Promise<string> {
  url ??= URL.createObjectURL(new Blob([WORKER_CODE], { type: "application/javascript" }));
  const worker = new Worker(url);
  return new Promise<string>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<{ ok: boolean; result?: string; error?: string }>) => {
      worker.terminate();
      if (event.data.ok) resolve(event.data.result ?? "");
      else reject(new Error(event.data.error));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message));
    };
    worker.postMessage(message);
  });
}

/** A consistent copy of the database at `path` in a new file `dest`, made off this thread. */
export async function snapshotDatabase(path: string, dest: string): Promise<void> {
  await run({ op: "vacuum-into", path, dest });
}

/** `PRAGMA integrity_check` off this thread: "ok", or what it found. */
export async function integrityCheck(path: string): Promise<string> {
  return await run({ op: "integrity-check", path });
}
