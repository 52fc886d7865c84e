// A real HTTP receiver for webhooks on a loopback address: records every request and answers with the statuses it
// is told, in order (the last one repeats).
export interface ReceivedHook {
  headers: Record<string, string>;
  body: string;
  path: string;
}

export interface WebhookReceiver {
  url: string;
  host: string;
  port: number;
  received: ReceivedHook[];
  /** Statuses to answer with, in order; the last repeats. */
  answers: (number | { status: number; location: string })[];
  stop(): Promise<void>;
}

export function startReceiver(host = "127.0.0.2", answers: WebhookReceiver["answers"] = [200]): WebhookReceiver {
  const received: ReceivedHook[] = [];
  const r: Omit<WebhookReceiver, "url" | "port" | "stop"> = { host, received, answers };
  const server = Bun.serve({
    hostname: host,
    port: 0,
    fetch: async (req) => {
      received.push({ headers: Object.fromEntries(req.headers), body: await req.text(), path: new URL(req.url).pathname });
      const answer = r.answers[Math.min(received.length - 1, r.answers.length - 1)] ?? 200;
      if (typeof answer === "number") return new Response(answer === 204 ? null : "ok", { status: answer });
      return new Response(null, { status: answer.status, headers: { location: answer.location } });
    },
  });
  return Object.assign(r, { url: `http://${host}:${server.port}/hook`, port: server.port!, stop: () => server.stop(true) }) as WebhookReceiver;
}
