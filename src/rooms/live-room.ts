// A room while people are in it: the waiting room, admission, and who receives whose media.
//
// Invariants: only the host (the room's owner) admits, declines and ends; a guest receives no media until admitted
// (the forwarding plan includes admitted participants only); a person has at most one live connection (a reload
// replaces the old one, and someone admitted before rejoins without waiting again); everything a participant held
// (peer connections, subscriptions) is closed when they leave. At most MAX_IN_CALL people are in the call at once.
// Host-only actions (mute, remove, notice) are checked here, whatever the browser shows: a guest's attempt does nothing.
// Someone the host removed waits again if they come back while this room is open, also after everyone left and came
// back (their admission stays recorded, so they still read the record afterwards). Known limit: a restart of the
// server forgets who was removed.
import { randomBytes } from "node:crypto";
import type { Logger } from "../log.ts";
import { planSubscriptions, type Subscription, wantedSubscriptions } from "./sfu/forwarding.ts";
import type { MediaServer, PublishedMedia, Subscribed } from "./sfu/media-server.ts";
import type { RoomRole } from "./rooms.ts";
import { type CallParticipant, CLOSE, type DeviceState, MAX_IN_CALL, type ServerMessage } from "./signaling.ts";

/** Why a browser that cannot encrypt end to end is not let in (the organisation has not allowed it). */
export const UNENCRYPTED_REFUSED = "this browser cannot encrypt the call end to end";

export interface Socket {
  send(message: ServerMessage): void;
  close(code: number, reason: string): void;
}

interface Participant {
  personId: string;
  name: string;
  role: RoomRole;
  socket: Socket;
  admitted: boolean;
  since: number;
  devices: { mic: DeviceState; camera: DeviceState; screen: boolean };
  /** Whether their browser said it encrypts end to end (see signaling.ts "hello"). */
  e2ee: boolean;
  publishing: { close: () => Promise<void> } | null;
  media: PublishedMedia | null;
  /** Subscriptions this participant receives, by source person id. */
  receiving: Map<string, Pick<Subscribed, "accept" | "wanted" | "close"> & { id: string }>;
}

export interface StoredChat {
  id: number;
  authorId: string;
  author: string;
  text: string;
  at: number;
}

export interface RoomEvents {
  /** Whether the host let this person in before (survives a restart of the server). */
  wasAdmitted(personId: string): boolean;
  /** Stores a chat message (sealed) and returns it as stored. */
  chat(personId: string, text: string): StoredChat;
  /** Every message of the room so far, for someone who has just been let in or came back. */
  chatHistory(): StoredChat[];
  /** The files shared so far, likewise. */
  files(): { id: string; name: string; size: number; uploader: string }[];
  join(personId: string): void;
  admit(host: string, guest: string): void;
  decline(host: string, guest: string): void;
  /** The host took this person out of the call. */
  remove(host: string, guest: string): void;
  leave(personId: string): void;
  end(host: string): void;
  /** Whether the organisation lets a browser that cannot encrypt end to end join (then the call is not). */
  unencryptedAllowed(): boolean;
}

export class LiveRoom {
  private readonly participants = new Map<string, Participant>();
  private readonly everAdmitted = new Set<string>();
  /** The host's last message to each waiting person, shown again if their page reloads. */
  private readonly notices = new Map<string, { text: string; at: number }>();
  private ended = false;

  constructor(
    readonly roomId: string,
    private readonly media: () => Promise<MediaServer>,
    private readonly events: RoomEvents,
    private readonly log: Logger,
    private readonly now: () => number,
    /**
     * Taken out by the host: they wait again if they come back, whatever their recorded admission says. Kept by the
     * caller, so it outlives this object (dropped when the last person leaves) until the room is closed.
     */
    private readonly removed: Set<string> = new Set(),
  ) {}

  get size(): number {
    return this.participants.size;
  }

  /** For the metrics: people with a connection to the SFU, and the streams (audio, video) it forwards to them. */
  mediaCounts(): { peers: number; streams: number } {
    let peers = 0;
    let streams = 0;
    for (const p of this.participants.values()) {
      if (p.publishing || p.receiving.size > 0) peers++;
      for (const source of p.receiving.keys()) streams += this.participants.get(source)?.media?.tracks.size ?? 0;
    }
    return { peers, streams };
  }

  /** Who is in the waiting room now (not yet admitted). */
  waitingIds(): string[] {
    return [...this.participants.values()].filter((p) => !p.admitted).map((p) => p.personId);
  }

  connect(personId: string, name: string, role: RoomRole, socket: Socket, e2ee = true): void {
    if (this.ended) return socket.close(1000, "the consultation has ended");
    if (!e2ee && !this.events.unencryptedAllowed()) return socket.close(CLOSE.policy, UNENCRYPTED_REFUSED);
    const previous = this.participants.get(personId);
    if (previous) this.remove(previous, { replaced: true });
    const wasIn = !this.removed.has(personId) && (this.everAdmitted.has(personId) || this.events.wasAdmitted(personId));
    const admitted = role === "host" || (wasIn && this.admittedCount() < MAX_IN_CALL);
    const devices: Participant["devices"] = { mic: "off", camera: "off", screen: false }; // until their browser says
    const p: Participant = { personId, name, role, socket, admitted, since: this.now(), devices, e2ee, publishing: null, media: null, receiving: new Map() };
    this.participants.set(personId, p);
    if (admitted) this.everAdmitted.add(personId);
    this.events.join(personId);
    socket.send({ type: "welcome", role, state: admitted ? "admitted" : "waiting", personId });
    if (admitted) this.sendHistory(p);
    const notice = this.notices.get(personId);
    if (!admitted && notice) socket.send({ type: "notice", ...notice });
    this.announceWaiting();
    if (admitted) this.announceParticipants();
    void this.reconcile();
  }

  disconnect(personId: string, socket: Socket): void {
    const p = this.participants.get(personId);
    if (p && p.socket === socket) this.remove(p, { replaced: false });
  }

  async publish(personId: string, offerSdp: string): Promise<void> {
    const p = this.participants.get(personId);
    if (!p?.admitted) return p?.socket.send({ type: "error", message: "not admitted yet" });
    await p.publishing?.close();
    const server = await this.media();
    const published = await server.publish(offerSdp, (media) => {
      this.log.debug("media arrived", { roomId: this.roomId, personId, tracks: media.tracks.size });
      p.media = media;
      void this.reconcile();
    });
    if (this.participants.get(personId) !== p) return void published.close();
    p.publishing = published;
    p.socket.send({ type: "published", sdp: published.answerSdp });
  }

  async answer(personId: string, id: string, sdp: string): Promise<void> {
    const p = this.participants.get(personId);
    const sub = p && [...p.receiving.values()].find((s) => s.id === id);
    if (sub) await sub.accept(sdp);
  }

  /** A receiver tells how wide it shows one of its videos. */
  view(personId: string, id: string, width: number): void {
    const p = this.participants.get(personId);
    const sub = p && [...p.receiving.values()].find((s) => s.id === id);
    sub?.wanted(width);
  }

  admit(hostId: string, guestId: string): void {
    if (this.isHost(hostId)) this.admitAsOwner(hostId, guestId);
  }

  decline(hostId: string, guestId: string): void {
    if (!this.isHost(hostId)) return;
    const g = this.participants.get(guestId);
    if (!g || g.admitted) return;
    this.events.decline(hostId, guestId);
    g.socket.send({ type: "declined" });
    g.socket.close(1000, "declined");
    this.remove(g, { replaced: false });
  }

  /** What the sender's browser says about its own microphone, camera and screen; everyone in the call sees it. */
  reportDevices(personId: string, devices: { mic: DeviceState; camera: DeviceState; screen: boolean }): void {
    const p = this.participants.get(personId);
    if (!p) return;
    p.devices = { mic: devices.mic, camera: devices.camera, screen: devices.screen };
    if (p.admitted) this.announceParticipants();
  }

  /** The host asks a participant's browser to mute its microphone; only that person can unmute it again. */
  mute(hostId: string, personId: string): void {
    const p = this.participants.get(personId);
    if (!this.isHost(hostId) || !p?.admitted || p.role === "host") return;
    p.socket.send({ type: "muted" });
  }

  /** The host takes a participant out of the call (or someone out of the waiting room); they wait if they return. */
  takeOut(hostId: string, personId: string): void {
    const p = this.participants.get(personId);
    if (!this.isHost(hostId) || !p || p.role === "host") return;
    this.removed.add(personId);
    this.events.remove(hostId, personId);
    p.socket.send({ type: "removed" });
    p.socket.close(1000, "removed");
    this.remove(p, { replaced: false });
  }

  /** A short message from the host to one person in the waiting room, and to nobody else. */
  notice(hostId: string, personId: string, text: string): void {
    const p = this.participants.get(personId);
    if (!this.isHost(hostId) || !p || p.admitted) return;
    const notice = { text, at: this.now() };
    this.notices.set(personId, notice);
    p.socket.send({ type: "notice", ...notice });
  }

  /** Only people in the call may chat; what they write reaches everyone in the call. */
  chat(personId: string, text: string): void {
    const p = this.participants.get(personId);
    if (!p?.admitted) return p?.socket.send({ type: "error", message: "not admitted yet" });
    const stored = this.events.chat(personId, text);
    for (const other of this.participants.values()) {
      if (other.admitted) other.socket.send({ type: "chat", messages: [{ id: stored.id, author: stored.author, text: stored.text, at: stored.at, mine: other.personId === personId }] });
    }
  }

  /**
   * A key-exchange message from one browser in the call to another, stamped with the sender as this server knows them.
   * Only between people in the call: someone waiting neither sends nor receives keys.
   */
  relayKeys(fromId: string, toId: string, body: Record<string, string | boolean>): void {
    const from = this.participants.get(fromId);
    const to = this.participants.get(toId);
    if (from?.admitted && to?.admitted && fromId !== toId) to.socket.send({ type: "e2ee", from: fromId, body });
  }

  broadcastToAdmitted(message: ServerMessage): void {
    for (const p of this.participants.values()) if (p.admitted) p.socket.send(message);
  }

  private sendHistory(p: Participant): void {
    const messages = this.events.chatHistory().map((m) => ({ id: m.id, author: m.author, text: m.text, at: m.at, mine: m.authorId === p.personId }));
    if (messages.length > 0) p.socket.send({ type: "chat", messages });
    const files = this.events.files();
    if (files.length > 0) p.socket.send({ type: "files", files });
  }

  end(hostId: string): void {
    if (!this.isHost(hostId)) return;
    this.ended = true;
    this.events.end(hostId);
    for (const p of [...this.participants.values()]) {
      p.socket.send({ type: "ended" });
      p.socket.close(1000, "ended");
      this.remove(p, { replaced: false });
    }
  }

  private admittedCount(): number {
    let n = 0;
    for (const p of this.participants.values()) if (p.admitted) n++;
    return n;
  }

  private isHost(personId: string): boolean {
    return this.participants.get(personId)?.role === "host";
  }

  private remove(p: Participant, options: { replaced: boolean }): void {
    this.participants.delete(p.personId);
    void p.publishing?.close();
    for (const sub of p.receiving.values()) void sub.close();
    p.receiving.clear();
    if (options.replaced) p.socket.close(1000, "replaced by a newer connection");
    else this.events.leave(p.personId);
    this.announceWaiting();
    if (p.admitted) this.announceParticipants();
    void this.reconcile();
  }

  private announceWaiting(): void {
    const people = [...this.participants.values()].filter((p) => !p.admitted).map((p) => ({ personId: p.personId, name: p.name, since: p.since }));
    for (const p of this.participants.values()) if (p.role === "host") p.socket.send({ type: "waiting", people });
  }

  private announceParticipants(): void {
    const people: CallParticipant[] = [...this.participants.values()]
      .filter((p) => p.admitted)
      .map((p) => ({ personId: p.personId, name: p.name, role: p.role, ...p.devices, e2ee: p.e2ee }));
    this.broadcastToAdmitted({ type: "participants", people });
  }

  private reconciling: Promise<void> = Promise.resolve();

  /** Brings subscriptions in line with who is admitted and publishing; runs one at a time. */
  private reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(() => this.reconcileNow()).catch((err) => this.log.error("media reconcile failed", { roomId: this.roomId, error: String(err) }));
    return this.reconciling;
  }

  private async reconcileNow(): Promise<void> {
    const states = [...this.participants.values()].map((p) => ({ id: p.personId, admitted: p.admitted, publishing: p.media !== null }));
    const existing: Subscription[] = [...this.participants.values()].flatMap((p) => [...p.receiving.keys()].map((source) => ({ subscriber: p.personId, source })));
    const plan = planSubscriptions(existing, wantedSubscriptions(states));
    for (const s of plan.close) {
      const subscriber = this.participants.get(s.subscriber);
      const sub = subscriber?.receiving.get(s.source);
      if (!subscriber || !sub) continue;
      subscriber.receiving.delete(s.source);
      await sub.close();
      subscriber.socket.send({ type: "unsubscribe", id: sub.id });
    }
    for (const s of plan.open) {
      const subscriber = this.participants.get(s.subscriber);
      const source = this.participants.get(s.source);
      if (!subscriber || !source?.media) continue;
      const sub = await (await this.media()).subscribe(source.media);
      const id = randomBytes(8).toString("hex");
      if (this.participants.get(s.subscriber) !== subscriber) {
        await sub.close();
        continue;
      }
      subscriber.receiving.set(s.source, { id, accept: sub.accept, wanted: sub.wanted, close: sub.close });
      subscriber.socket.send({ type: "subscribe", id, sdp: sub.offerSdp, name: source.name, personId: source.personId });
    }
  }

  /**
   * The room's owner lets a waiting person in, from the call or from outside it (the schedule's "Admit"), before or
   * without joining themselves; the caller has checked that `ownerId` owns the room. False when that person is not
   * waiting or the call is full (the host, if connected, is told so).
   */
  admitAsOwner(ownerId: string, guestId: string): boolean {
    const guest = this.participants.get(guestId);
    if (this.ended || guest?.admitted !== false) return false;
    if (this.admittedCount() >= MAX_IN_CALL) {
      this.participants.get(ownerId)?.socket.send({ type: "full" });
      return false;
    }
    guest.admitted = true;
    this.removed.delete(guestId);
    this.notices.delete(guestId);
    this.everAdmitted.add(guestId);
    this.events.admit(ownerId, guestId);
    guest.socket.send({ type: "admitted" });
    this.sendHistory(guest);
    this.announceWaiting();
    this.announceParticipants();
    void this.reconcile();
    return true;
  }

  /** Whether the host is connected (for the client's page: "your specialist is in the room"). */
  hostPresent(): boolean {
    return [...this.participants.values()].some((p) => p.role === "host");
  }
}
