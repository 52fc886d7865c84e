// One JSON object per line in both directions between the SFU benchmark's processes: either side may call the
// other ({ id, op, ...args } → { re: id, ...result } or { re: id, error }). Setup traffic only; media goes over UDP.
import type { ChildProcess } from "node:child_process";

export type Message = Record<string, unknown>;
export type Handlers = Record<string, (msg: Message) => Message | Promise<Message>>;

export class LineRpc {
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private buffer = "";

  constructor(
    private readonly write: (line: string) => void,
    private readonly handlers: Handlers,
  ) {}

  feed(chunk: Buffer | string): void {
    this.buffer += chunk.toString();
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line.startsWith("{")) continue; // a library's stray log line
      const msg = JSON.parse(line) as Message;
      if (typeof msg.re === "number") {
        const p = this.pending.get(msg.re);
        this.pending.delete(msg.re);
        if (msg.error) p?.reject(new Error(String(msg.error)));
        else p?.resolve(msg);
      } else if (typeof msg.op === "string") void this.dispatch(msg);
    }
  }

  private async dispatch(msg: Message): Promise<void> {
    try {
      const handler = this.handlers[String(msg.op)];
      if (!handler) throw new Error(`unknown op ${String(msg.op)}`);
      this.write(`${JSON.stringify({ ...(await handler(msg)), re: msg.id })}\n`);
    } catch (err) {
      this.write(`${JSON.stringify({ re: msg.id, error: err instanceof Error ? err.message : String(err) })}\n`);
    }
  }

  call(op: string, args: Message = {}, timeoutMs = 60_000): Promise<Message> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${op}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.write(`${JSON.stringify({ ...args, id, op })}\n`);
    });
  }
}

/** The child's end: stdin in, stdout out. */
export function rpcOverStdio(handlers: Handlers): LineRpc {
  const rpc = new LineRpc((line) => process.stdout.write(line), handlers);
  process.stdin.on("data", (chunk: Buffer) => rpc.feed(chunk));
  return rpc;
}

/** The parent's end of a child spawned with piped stdin and stdout. */
export function rpcOverChild(child: ChildProcess, handlers: Handlers = {}): LineRpc {
  const rpc = new LineRpc((line) => child.stdin!.write(line), handlers);
  child.stdout!.on("data", (chunk: Buffer) => rpc.feed(chunk));
  return rpc;
}
