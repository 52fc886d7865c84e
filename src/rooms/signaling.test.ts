import { describe, expect, test } from "bun:test";
import { mintJoinToken, verifyJoinToken } from "./rooms.ts";
import { clientMessage } from "./signaling.ts";

describe("signalling messages", () => {
  test.each([
    [{ type: "hello", token: "x".repeat(20) }, true],
    [{ type: "publish", sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n" }, true],
    [{ type: "answer", id: "abc", sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n" }, true],
    [{ type: "chat", text: "hello" }, true],
    [{ type: "admit", personId: "p1" }, true],
    [{ type: "end" }, true],
    [{ type: "chat", text: "   " }, false],
    [{ type: "chat", text: "x".repeat(2001) }, false],
    [{ type: "publish", sdp: "x".repeat(30_001) }, false],
    [{ type: "admit" }, false],
    [{ type: "teleport" }, false],
    [{ token: "no type" }, false],
    ["hello", false],
    [null, false],
  ])("%j → valid: %p", (message, valid) => {
    expect(clientMessage.safeParse(message).success).toBe(valid);
  });
});

describe("join tokens", () => {
  const claims = { roomId: "room-1", personId: "person-1", session: "s-1" };

  test("verify within 60 seconds, with their claims", () => {
    const now = 1_800_000_000_000;
    const token = mintJoinToken(claims, now);
    expect(verifyJoinToken(token, now + 59_000)).toMatchObject(claims);
    expect(verifyJoinToken(token, now + 60_000)).toBeNull();
  });

  test("a changed claim or signature fails", () => {
    const token = mintJoinToken(claims);
    const [body, mac] = token.split(".") as [string, string];
    const forged = Buffer.from(JSON.stringify({ ...claims, personId: "someone-else", exp: Date.now() + 60_000 })).toString("base64url");
    expect(verifyJoinToken(`${forged}.${mac}`)).toBeNull();
    expect(verifyJoinToken(`${body}.${mac.slice(0, -2)}AA`)).toBeNull();
    expect(verifyJoinToken("garbage")).toBeNull();
    expect(verifyJoinToken("")).toBeNull();
  });
});
