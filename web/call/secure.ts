// End-to-end encryption in the call screen: the keys (web/call/e2ee/keys.ts), the frame worker
// (web/call/e2ee/transforms.ts), and what the person sees of them: the state at the top of the call, the code to
// compare with each other person, and a plain warning when a key changes, does not check out, or media cannot be
// decrypted. Everyone in the call must encrypt, or nobody does: with someone whose browser cannot (only when the
// organisation allows it), the call is marked "not end-to-end encrypted" for all, with their names.
import type { CallParticipant } from "../../src/rooms/signaling.ts"; // types only
import type { Messages } from "../../src/i18n/messages.ts"; // types only
import { CallKeys, type KeyEvent, type Outgoing } from "./e2ee/keys.ts";
import { FrameCrypto, type FrameStats, frameAccess } from "./e2ee/transforms.ts";
import { $ } from "./dom.ts";

type Labels = Messages["rooms"]["call"]["e2ee"];
type State = "securing" | "on" | "verified" | "warning" | "off";

interface Peer {
  name: string;
  code: { emoji: string[]; names: string[] } | null;
  /** Frames decrypted from them and frames that failed, at the last look; looks in a row with failures only. */
  decrypted: number;
  failed: number;
  failing: number;
}

export class SecureCall {
  private keys: CallKeys | null = null;
  private me = "";
  private readonly frames: FrameCrypto | null;
  private readonly peers = new Map<string, Peer>();
  private readonly warnings = new Map<string, string>();
  private people: readonly CallParticipant[] = [];
  /** Names of those whose browser cannot encrypt, in a call the organisation allows to be unencrypted. */
  private plain: string[] = [];
  /** People whose code the person said differs from theirs (until that person's key changes or they leave). */
  private readonly mismatched = new Set<string>();
  /** The KID this page's frames go out under now. */
  private sendingKid: bigint | null = null;

  constructor(
    private readonly roomId: string,
    workerUrl: string,
    private readonly L: Labels,
    private readonly lang: "en" | "ru",
    /** What the page says of the organisation's setting: may someone whose browser cannot encrypt join unencrypted? */
    private readonly unencryptedAllowed: boolean,
    private readonly send: (m: { type: "e2ee"; to: string; body: Outgoing["body"] }) => void,
  ) {
    const mode = frameAccess();
    this.frames = mode ? new FrameCrypto(workerUrl, mode, (p, kid) => void this.needKey(p, kid)) : null;
    $("e2ee-state").addEventListener("click", () => this.openDialog());
    $("verify-close").addEventListener("click", () => ($("verify-dialog") as HTMLDialogElement).close());
    setInterval(() => void this.poll(), 2000);
  }

  /** Whether this browser can encrypt end to end at all (the server is told in the hello). */
  get capable(): boolean {
    return this.frames !== null;
  }

  /** Makes this page's key pair; the person id comes with the server's welcome. */
  async start(me: string): Promise<void> {
    if (!this.frames || this.keys) return;
    this.me = me;
    this.keys = await CallKeys.create(this.roomId, me);
    this.keys.onEvent = (e) => this.onKey(e);
    await this.participants(this.people);
  }

  /** Connection settings a new RTCPeerConnection needs for the frame worker. */
  connectionConfig(): Record<string, unknown> {
    return this.frames?.connectionConfig() ?? {};
  }

  protectPublisher(pc: RTCPeerConnection): void {
    for (const t of pc.getTransceivers()) this.frames?.protectSender(t.sender, t.receiver.track.kind as "audio" | "video");
  }

  protectReceiver(receiver: RTCRtpReceiver, personId: string): void {
    this.frames?.protectReceiver(receiver, personId);
  }

  /** The server's list of who is in the call: keys follow it (a newcomer gets keys, one who left loses them). */
  async participants(people: readonly CallParticipant[]): Promise<void> {
    this.people = people;
    const me = this.me;
    for (const p of people) {
      if (p.personId === me) continue;
      const peer = this.peers.get(p.personId);
      if (peer) peer.name = p.name;
      else this.peers.set(p.personId, { name: p.name, code: null, decrypted: 0, failed: 0, failing: 0 });
    }
    for (const id of [...this.peers.keys()]) {
      if (people.some((p) => p.personId === id)) continue;
      this.peers.delete(id);
      this.warnings.delete(id);
      this.warnings.delete(`frames:${id}`);
      this.warnings.delete(`plain:${id}`);
      this.mismatched.delete(id);
      this.frames?.forget(id, "all");
    }
    // Someone whose browser cannot encrypt (allowed by the organisation): nobody encrypts, and everyone is told.
    // Only where the page says the organisation allows it: a server that merely claims someone cannot encrypt does not
    // turn this browser's encryption off (that person then sees and hears nothing, and everyone is warned).
    const plain = people.filter((p) => !p.e2ee);
    this.plain = this.unencryptedAllowed ? plain.map((p) => p.name) : [];
    for (const p of people) {
      if (p.e2ee || this.unencryptedAllowed) this.warnings.delete(`plain:${p.personId}`);
      else this.warnings.set(`plain:${p.personId}`, this.L.plainRefused.replace("{name}", p.name));
    }
    this.frames?.encrypt(this.plain.length === 0);
    // Either everyone encrypts or (allowed, with someone who cannot) nobody does: never clear frames from one person only.
    for (const p of people) if (p.personId !== me) this.frames?.expect(p.personId, this.plain.length === 0);
    if (this.keys) this.deliver(await this.keys.setParticipants(people.map((p) => p.personId)));
    this.render();
  }

  async receive(from: string, body: unknown): Promise<void> {
    if (this.keys) this.deliver(await this.keys.receive(from, body));
  }

  /** Numbers and the codes shown, for the browser tests. */
  async snapshot(): Promise<{ state: State; sendingKid: string | null; codes: Record<string, string>; warnings: string[]; frames: FrameStats | null }> {
    const codes: Record<string, string> = {};
    for (const [id, p] of this.peers) if (p.code) codes[id] = p.code.emoji.join("");
    return { state: this.state(), sendingKid: this.sendingKid === null ? null : String(this.sendingKid), codes, warnings: [...this.warnings.values()], frames: (await this.frames?.stats()) ?? null };
  }

  close(): void {
    this.keys?.close();
    this.frames?.close();
  }

  private deliver(out: Outgoing[]): void {
    for (const o of out) this.send({ type: "e2ee", to: o.to, body: o.body });
  }

  private onKey(e: KeyEvent): void {
    const peer = "personId" in e ? this.peers.get(e.personId) : undefined;
    const named = (text: string) => text.replace("{name}", peer?.name ?? "?");
    switch (e.type) {
      case "sending-key":
        this.sendingKid = e.kid;
        return this.frames?.sendKey(e.kid, e.key);
      case "receiving-key":
        return this.frames?.receiveKey(e.personId, e.kid, e.key);
      case "forget":
        return this.frames?.forget(e.personId, e.kids);
      case "code":
        if (peer) peer.code = { emoji: e.emoji, names: e.names[this.lang] };
        break;
      case "key-changed":
        if (peer) peer.code = null;
        this.mismatched.delete(e.personId); // a new key, a new code to compare
        this.warnings.set(e.personId, named(this.L.keyChanged));
        break;
      case "tampered":
        this.warnings.set(e.personId, named(this.L.tampered));
        break;
    }
    this.render();
  }

  private async needKey(personId: string, kid: bigint): Promise<void> {
    const key = await this.keys?.receivingKey(personId, kid);
    if (key) this.frames?.receiveKey(personId, kid, key);
  }

  /**
   * Every 2 s: whether frames from each person decrypt. A few failures at a key change are normal (frames in flight);
   * failures and nothing decrypted at two looks in a row (4 s) is a warning.
   */
  private async poll(): Promise<void> {
    if (!this.frames || !this.keys) return;
    const s = await this.frames.stats();
    const before = this.state();
    for (const [id, peer] of this.peers) {
      const decrypted = s.decrypted[id] ?? 0;
      const failed = s.failed[id] ?? 0;
      peer.failing = failed > peer.failed && decrypted === peer.decrypted ? peer.failing + 1 : 0;
      peer.decrypted = decrypted;
      peer.failed = failed;
      const key = `frames:${id}`;
      if (peer.failing >= 2) this.warnings.set(key, this.L.undecryptable.replace("{name}", peer.name));
      else this.warnings.delete(key);
    }
    if (this.state() !== before || this.warnings.size > 0) this.render();
  }

  private state(): State {
    if (this.plain.length > 0 || !this.frames) return "off";
    if (this.mismatched.size > 0 || this.warnings.size > 0) return "warning";
    const peers = [...this.peers.keys()];
    if (!this.keys || peers.some((id) => !this.peers.get(id)!.code)) return "securing";
    return peers.length > 0 && peers.every((id) => this.keys!.verified(id)) ? "verified" : "on";
  }

  private render(): void {
    const state = this.state();
    const button = $("e2ee-state");
    button.dataset.state = state;
    const text = state === "off" && this.plain.length > 0 ? this.L.offBecause.replace("{names}", this.plain.join(", ")) : this.L[state];
    $("e2ee-text").textContent = text;
    const warning = $("e2ee-warning");
    const said = this.mismatched.size > 0 ? [this.L.mismatch, ...this.warnings.values()] : [...this.warnings.values()];
    warning.hidden = said.length === 0;
    warning.replaceChildren(
      ...said.map((text) => {
        const p = document.createElement("p");
        p.textContent = text;
        return p;
      }),
    );
    this.renderCodes();
  }

  private renderCodes(): void {
    const items = [...this.peers].map(([id, peer]) => {
      const li = document.createElement("li");
      li.dataset.personId = id;
      const h = document.createElement("h3");
      h.textContent = this.L.verifyWith.replace("{name}", peer.name);
      li.append(h);
      if (!peer.code) {
        const p = document.createElement("p");
        p.textContent = this.L.pending;
        li.append(p);
        return li;
      }
      const code = document.createElement("p");
      code.className = "kb-code";
      code.dataset.testid = "verify-code";
      code.setAttribute("aria-label", peer.code.names.join(", "));
      peer.code.emoji.forEach((emoji, i) => {
        const span = document.createElement("span");
        const b = document.createElement("b");
        b.textContent = emoji;
        b.setAttribute("aria-hidden", "true");
        span.append(b, peer.code!.names[i] ?? "");
        code.append(span);
      });
      li.append(code);
      if (this.keys?.verified(id)) {
        const p = document.createElement("p");
        p.textContent = this.L.matched;
        li.append(p);
      } else {
        const yes = document.createElement("button");
        yes.type = "button";
        yes.textContent = this.L.match;
        yes.addEventListener("click", () => {
          this.keys?.markVerified(id);
          // A changed key compared afresh and found matching is settled; a key that did not check out is not.
          if (this.warnings.get(id) === this.L.keyChanged.replace("{name}", peer.name)) this.warnings.delete(id);
          this.render();
        });
        const no = document.createElement("button");
        no.type = "button";
        no.className = "kb-danger";
        no.textContent = this.L.noMatch;
        no.addEventListener("click", () => {
          this.mismatched.add(id);
          this.render();
        });
        li.append(yes, no);
      }
      return li;
    });
    $("verify-list").replaceChildren(...items);
  }

  private openDialog(): void {
    this.renderCodes();
    const dialog = $("verify-dialog") as HTMLDialogElement;
    if (!dialog.open) dialog.showModal();
  }
}
