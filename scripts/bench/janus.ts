// Janus (Debian's `janus`, 1.1.2) as the SFU benchmark's reference: its VideoRoom plugin driven through the HTTP API
// on loopback, one room per consultation, each participant a publisher and a subscriber to the other, the same
// offer/answer shape the Kabinet side gets. Only the VideoRoom plugin and the HTTP transport load; no event
// handlers, loggers or other transports, so its CPU time is the forwarding's.
// Janus never gathers on loopback interfaces (src/ice.c skips IFF_LOOPBACK): it must run in the private network
// namespace set up by scripts/bench/janus-netns.sh, where 127.0.0.2 sits on a veth end.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LIBS = "/usr/lib/x86_64-linux-gnu/janus";
/** KABINET_BENCH_JANUS=<path> picks another Janus binary (a path that does not exist measures Kabinet alone). */
export const JANUS_BINARY = process.env.KABINET_BENCH_JANUS ?? "janus";
const HTTP_PORT = 8088;
const BASE = `http://127.0.0.1:${HTTP_PORT}/janus`;

const config = (dir: string): Record<string, string> => ({
  "janus.jcfg": `general: {
	configs_folder = "${dir}"
	plugins_folder = "${LIBS}/plugins"
	transports_folder = "${LIBS}/transports"
	events_folder = "${LIBS}/events"
	loggers_folder = "${LIBS}/loggers"
	log_to_stdout = false
	log_to_file = "${dir}/janus.log"
	debug_level = 4
	admin_secret = "not-used"
	interface = "127.0.0.2"
	server_name = "kabinet-bench"${process.env.KABINET_BENCH_JANUS_LOOPS ? `\n\tevent_loops = ${process.env.KABINET_BENCH_JANUS_LOOPS}` : ""}
	session_timeout = 120
	candidates_timeout = 45
	protected_folders = [ "/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/sbin", "/sys", "/usr", "/var" ]
}
certificates: {
}
media: {
	ipv6 = false
	rtp_port_range = "20000-40000"
	no_media_timer = 1
	slowlink_threshold = 0
}
nat: {
	nice_debug = false
	full_trickle = false
	ice_lite = false
	ice_tcp = false
	ignore_mdns = true
	ice_enforce_list = "127.0.0.2"
}
plugins: {
	disable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so"
}
transports: {
	disable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so,libjanus_websockets.so"
}
loggers: {
	disable = "libjanus_jsonlog.so"
}
events: {
	broadcast = false
	disable = "libjanus_gelfevh.so,libjanus_mqttevh.so,libjanus_nanomsgevh.so,libjanus_rabbitmqevh.so,libjanus_sampleevh.so,libjanus_wsevh.so"
}
`,
  "janus.plugin.videoroom.jcfg": "general: {\n\tevents = false\n}\n",
  "janus.transport.http.jcfg": `general: {
	json = "plain"
	base_path = "/janus"
	http = true
	port = ${HTTP_PORT}
	ip = "127.0.0.1"
	https = false
}
admin: {
	admin_http = false
	admin_https = false
}
cors: {
}
certificates: {
}
`,
});

type Json = Record<string, any>; // Janus's API replies, read field by field

// Janus outlives its parent unless killed (the generators and Kabinet's SFU leave when their stdin closes): whatever
// way the benchmark ends, a Janus still running goes with it.
const running = new Map<ChildProcess, string>();
process.on("exit", () => {
  for (const [child, dir] of running) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

/** A running Janus with one API session; `publish`/`subscribe`/`accept` mirror scripts/bench/sfu-server.ts. */
export class JanusProcess {
  private readonly dir = mkdtempSync(join(tmpdir(), "kabinet-bench-janus-"));
  private readonly child: ChildProcess;
  private session = 0;
  private control = 0;
  private polling = true;
  private nextTx = 1;
  private readonly waiters = new Map<string, { resolve: (e: Json) => void; reject: (e: Error) => void }>();
  private readonly rooms = new Set<number>();
  private readonly feeds = new Map<string, { room: number; feed: number }>();

  constructor() {
    for (const [name, text] of Object.entries(config(this.dir))) writeFileSync(join(this.dir, name), text);
    const out = openSync(join(this.dir, "stdout.log"), "w");
    this.child = spawn(JANUS_BINARY, ["-C", join(this.dir, "janus.jcfg"), "-F", this.dir], { stdio: ["ignore", out, out] });
    running.set(this.child, this.dir);
    this.child.once("exit", () => running.delete(this.child));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Waits for the HTTP API (bounded), opens a session and starts the event long-poll. */
  async ready(): Promise<void> {
    const until = performance.now() + 15_000;
    for (;;) {
      try {
        if ((await fetch(`${BASE}/info`)).ok) break;
      } catch {
        // not listening yet
      }
      if (performance.now() > until || this.child.exitCode !== null) throw new Error(`Janus did not start (log: ${this.dir}/janus.log)`);
      await Bun.sleep(100);
    }
    this.session = (await this.post(BASE, { janus: "create" })).data.id;
    this.control = await this.attach();
    void this.poll();
  }

  private async post(url: string, body: Json): Promise<Json> {
    const transaction = `t${this.nextTx++}`;
    // The event answering an asynchronous request can reach the long-poll before the request's own "ack" does.
    const event = new Promise<Json>((resolve, reject) => {
      this.waiters.set(transaction, { resolve, reject });
      setTimeout(() => this.waiters.delete(transaction) && reject(new Error(`Janus: no event for ${body.body?.request}`)), 30_000);
    });
    event.catch(() => {});
    const reply = (await (await fetch(url, { method: "POST", body: JSON.stringify({ ...body, transaction }) })).json()) as Json;
    if (reply.janus === "error") throw new Error(`Janus: ${reply.error?.reason}`);
    if (reply.janus === "ack") return await event;
    this.waiters.delete(transaction);
    const error = reply.plugindata?.data?.error;
    if (error) throw new Error(`Janus: ${error}`);
    return reply;
  }

  private async poll(): Promise<void> {
    while (this.polling) {
      let events: Json[];
      try {
        const r = (await (await fetch(`${BASE}/${this.session}?maxev=50`)).json()) as Json | Json[];
        events = Array.isArray(r) ? r : [r];
      } catch {
        if (!this.polling) return;
        await Bun.sleep(100);
        continue;
      }
      for (const e of events) {
        const w = e.transaction ? this.waiters.get(e.transaction) : undefined;
        if (!w || e.janus !== "event") continue;
        this.waiters.delete(e.transaction);
        const error = e.plugindata?.data?.error;
        if (error) w.reject(new Error(`Janus: ${error}`));
        else w.resolve(e);
      }
    }
  }

  private async attach(): Promise<number> {
    return (await this.post(`${BASE}/${this.session}`, { janus: "attach", plugin: "janus.plugin.videoroom" })).data.id;
  }

  private message(handle: number, body: Json, jsep?: Json): Promise<Json> {
    return this.post(`${BASE}/${this.session}/${handle}`, { janus: "message", body, ...(jsep ? { jsep } : {}) });
  }

  /** `key` is "<consultation>-<side>": the consultation's room is created on its first publisher. */
  async publish(key: string, sdp: string): Promise<string> {
    const [c, side] = key.split("-").map(Number) as [number, number];
    const room = 1000 + c;
    if (!this.rooms.has(room)) {
      this.rooms.add(room);
      await this.message(this.control, { request: "create", room, publishers: 2, bitrate: 0, fir_freq: 0, audiocodec: "opus", videocodec: "vp8", notify_joining: false });
    }
    const feed = side + 1;
    const handle = await this.attach();
    const e = await this.message(handle, { request: "joinandconfigure", ptype: "publisher", room, id: feed, audio: true, video: true }, { type: "offer", sdp, trickle: false });
    this.feeds.set(key, { room, feed });
    return e.jsep.sdp;
  }

  async subscribe(source: string): Promise<{ subId: string; sdp: string }> {
    const f = this.feeds.get(source);
    if (!f) throw new Error(`no publisher ${source}`);
    const handle = await this.attach();
    // Janus refuses a feed whose publisher's WebRTC is not up on its side yet ("No such feed"), which can trail the
    // publisher's own view of the connection by a moment: asked again for up to 5 s.
    for (let attempt = 1; ; attempt++) {
      try {
        const e = await this.message(handle, { request: "join", ptype: "subscriber", room: f.room, streams: [{ feed: f.feed }] });
        return { subId: String(handle), sdp: e.jsep.sdp };
      } catch (err) {
        if (attempt >= 25 || !String(err).includes("No such feed")) throw err;
        await Bun.sleep(200);
      }
    }
  }

  async accept(subId: string, sdp: string): Promise<void> {
    await this.message(Number(subId), { request: "start" }, { type: "answer", sdp, trickle: false });
  }

  async stop(): Promise<void> {
    this.polling = false;
    const exited = new Promise<void>((resolve) => (this.child.exitCode !== null ? resolve() : this.child.once("exit", () => resolve())));
    this.child.kill("SIGTERM");
    await Promise.race([exited, Bun.sleep(3000)]);
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
    for (const w of this.waiters.values()) w.reject(new Error("Janus stopped"));
    if (!process.env.KABINET_BENCH_KEEP_JANUS) rmSync(this.dir, { recursive: true, force: true }); // else kept for its log
  }
}
