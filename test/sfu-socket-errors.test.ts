// A peer that disappears makes the kernel answer our UDP packets with "port unreachable"; the server must shrug.
import { expect, test } from "bun:test";
import { createSocket } from "node:dgram";
import { mediaSocketErrorsDropped } from "../src/rooms/sfu/media-server.ts";
import { freePort } from "./support/processes.ts";

test("ECONNREFUSED on a UDP socket without an error listener is dropped, not thrown", async () => {
  const before = mediaSocketErrorsDropped();
  const socket = createSocket("udp4"); // like werift's: no 'error' listener
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const closedPort = await freePort(); // nothing listens there
  socket.connect(closedPort, "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  for (let i = 0; i < 5; i++) {
    socket.send(Buffer.from("ping"));
    await Bun.sleep(50);
  }
  socket.close();
  expect(mediaSocketErrorsDropped()).toBeGreaterThan(before);
});
