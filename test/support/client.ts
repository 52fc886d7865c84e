// A browser-like client for in-process requests: keeps cookies, sends our Origin on every form post.
import type { App } from "../../src/app.ts";

export class TestClient {
  readonly cookies = new Map<string, string>();

  constructor(
    private readonly app: App,
    readonly origin: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(path, { method: "GET", headers });
  }

  async post(path: string, form: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(path, {
      method: "POST",
      body: new URLSearchParams(form).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", origin: this.origin, ...headers },
    });
  }

  /** Follows a 303 the way a browser would (GET), returning the final response. */
  async follow(r: Response): Promise<Response> {
    let res = r;
    for (let i = 0; i < 5 && res.status >= 300 && res.status < 400; i++) res = await this.get(res.headers.get("location")!);
    return res;
  }

  private async send(path: string, init: { method: string; body?: string; headers: Record<string, string> }): Promise<Response> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await this.app.request(new URL(path, this.origin).toString(), {
      ...init,
      headers: { ...this.headers, ...init.headers, ...(cookie ? { cookie } : {}) },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/max-age=0/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}
