// The call gauges through the real app: two people in a room over real signalling sockets, one publishing audio and
// video from a werift peer, the other receiving it; the scrape shows the room, both people and the two streams, and
// nothing once they left.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { websocket } from "hono/bun";
import { MediaStreamTrack, RTCPeerConnection } from "werift";
import { createApp } from "../src/app.ts";
import { createMetrics, type Metrics } from "../src/ops/metrics.ts";
import { acceptRoomInvitation } from "../src/rooms/rooms.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { freePort } from "./support/processes.ts";
import { openRoomSocket, type RoomSocket } from "./support/room-socket.ts";
import { connected, gathered, PEER_CONFIG } from "./support/werift-peers.ts";

let inst: TestInstallation;
let metrics: Metrics;
let server: ReturnType<typeof Bun.serve>;
let origin: string;
let host: TestPerson;
let guest: TestPerson;
let roomId: string;

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  inst = makeInstallation({ KABINET_PUBLIC_URL: origin, KABINET_MEDIA_PORTS: "47100-47150", KABINET_PUBLIC_IP: "127.0.0.1" });
  metrics = createMetrics(inst);
  const admin = await setUpOrganisation(inst);
  host = await addPerson(inst, admin.personId, "specialist");
  guest = await addPerson(inst, admin.personId, "client");
  server = Bun.serve({ hostname: "127.0.0.1", port, fetch: createApp(inst, { metrics }).fetch, websocket });
  const created = await signedInClient(inst, host, origin).post("/rooms");
  roomId = created.headers.get("location")!.split("/").pop()!;
  const invite = (await (await signedInClient(inst, host, origin).get(`/rooms/${roomId}`)).text()).match(/\/rooms\/invite\/([A-Za-z0-9_-]{43})/)![1]!;
  acceptRoomInvitation(inst, invite, guest.personId);
});
afterAll(async () => {
  await server.stop(true);
  metrics.close();
  inst.close();
});

function gauge(text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)![1]);
}

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error("timed out");
    await Bun.sleep(50);
  }
}

test("a call in progress shows as one room, two people and two forwarded streams; none once they left", async () => {
  const hostSocket: RoomSocket = await openRoomSocket(signedInClient(inst, host, origin), roomId);
  await hostSocket.hello();
  await hostSocket.next("welcome");
  const guestSocket: RoomSocket = await openRoomSocket(signedInClient(inst, guest, origin), roomId);
  await guestSocket.hello();
  await guestSocket.next("welcome");
  hostSocket.ws.send(JSON.stringify({ type: "admit", personId: guest.personId }));
  await guestSocket.next("admitted");
  expect(gauge(await metrics.scrape(), "kabinet_sfu_peers")).toBe(0); // in the room, but no media yet

  // The host's browser publishes a microphone and a camera.
  const publisher = new RTCPeerConnection(PEER_CONFIG);
  publisher.addTransceiver(new MediaStreamTrack({ kind: "audio" }), { direction: "sendonly" });
  publisher.addTransceiver(new MediaStreamTrack({ kind: "video" }), { direction: "sendonly" });
  await publisher.setLocalDescription(await publisher.createOffer());
  await gathered(publisher);
  hostSocket.ws.send(JSON.stringify({ type: "publish", sdp: publisher.localDescription!.sdp }));
  await publisher.setRemoteDescription({ type: "answer", sdp: (await hostSocket.next("published")).sdp as string });
  await connected(publisher);

  // The guest's browser takes what the SFU offers.
  const offer = await guestSocket.next("subscribe");
  const receiver = new RTCPeerConnection(PEER_CONFIG);
  await receiver.setRemoteDescription({ type: "offer", sdp: offer.sdp as string });
  await receiver.setLocalDescription(await receiver.createAnswer());
  await gathered(receiver);
  guestSocket.ws.send(JSON.stringify({ type: "answer", id: offer.id, sdp: receiver.localDescription!.sdp }));
  await connected(receiver);

  const during = await metrics.scrape();
  expect(gauge(during, "kabinet_sfu_rooms")).toBe(1);
  expect(gauge(during, "kabinet_sfu_peers")).toBe(2);
  expect(gauge(during, "kabinet_sfu_streams")).toBe(2);
  expect(gauge(during, "kabinet_sfu_peers_relayed")).toBe(0); // host candidates on loopback, no TURN

  guestSocket.ws.send(JSON.stringify({ type: "leave" }));
  hostSocket.ws.send(JSON.stringify({ type: "leave" }));
  await Promise.all([guestSocket.closed, hostSocket.closed]);
  await until(async () => gauge(await metrics.scrape(), "kabinet_sfu_rooms") === 0);
  const after = await metrics.scrape();
  expect(gauge(after, "kabinet_sfu_peers")).toBe(0);
  expect(gauge(after, "kabinet_sfu_streams")).toBe(0);
  await receiver.close();
  await publisher.close();
}, 40_000);
