// A room's signalling socket opened the way the call page opens it: a real WebSocket to a served installation, with
// the cookie of a signed-in browser (TestClient) whose session also fetches the join token.
import { signedInClient, type TestPerson } from "./accounts.ts";
import type { TestClient } from "./client.ts";
import type { TestInstallation } from "./installation.ts";

export type ServerMessage = { type: string; [k: string]: unknown };

export interface RoomSocket {
  /** The signed-in browser whose session opened the socket. */
  browser: TestClient;
  ws: WebSocket;
  messages: ServerMessage[];
  closed: Promise<{ code: number; reason: string }>;
  /** The next message of this type (one already received counts). */
  next(type: string): Promise<ServerMessage>;
  /** Fetches a join token with the browser's session and sends it as the hello. */
  hello(): Promise<void>;
}

export async function openRoomSocket(browser: TestClient, roomId: string, opts: { origin?: string } = {}): Promise<RoomSocket> {
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const ws = new WebSocket(`${browser.origin.replace("http", "ws")}/rooms/${roomId}/ws`, { headers: { origin: opts.origin ?? browser.origin, cookie } } as never);
  const messages: ServerMessage[] = [];
  const waiters: { type: string; resolve: (m: ServerMessage) => void }[] = [];
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as ServerMessage;
    messages.push(m);
    for (const w of waiters.filter((w) => w.type === m.type)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (ws.onclose = (e) => resolve({ code: e.code, reason: e.reason })));
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("refused"));
  });
  return {
    browser,
    ws,
    messages,
    closed,
    next: (type) => {
      const seen = messages.find((m) => m.type === type);
      if (seen) {
        messages.splice(messages.indexOf(seen), 1);
        return Promise.resolve(seen);
      }
      return new Promise((resolve) => waiters.push({ type, resolve }));
    },
    hello: async () => {
      const r = await browser.get(`/rooms/${roomId}/join-token`);
      ws.send(JSON.stringify({ type: "hello", token: ((await r.json()) as { token: string }).token }));
    },
  };
}

/** A room the host opened (POST /rooms, as their browser does), whose invitation each guest has opened. */
export async function openInvitedRoom(inst: TestInstallation, host: TestPerson, guests: readonly TestPerson[]): Promise<{ roomId: string; hostBrowser: TestClient }> {
  const hostBrowser = signedInClient(inst, host);
  const roomId = (await hostBrowser.post("/rooms")).headers.get("location")!.split("/").pop()!;
  const invite = (await (await hostBrowser.get(`/rooms/${roomId}`)).text()).match(/\/rooms\/invite\/([A-Za-z0-9_-]{43})/)![1]!;
  for (const g of guests) {
    const b = signedInClient(inst, g);
    await b.get(`/rooms/invite/${invite}`);
    await b.get("/rooms/join");
  }
  return { roomId, hostBrowser };
}
