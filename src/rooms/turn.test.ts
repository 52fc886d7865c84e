import { describe, expect, test } from "bun:test";
import { iceServersNow, relayPathOf, TURN_CREDENTIAL_SECONDS, turnCredential } from "./turn.ts";

describe("short-lived TURN credentials", () => {
  test("the password is base64(HMAC-SHA1(secret, username)), as coturn checks it (computed here with Web Crypto)", async () => {
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("north-wind"), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
    const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("1796000000:abc"));
    expect(turnCredential("north-wind", "1796000000:abc")).toBe(Buffer.from(mac).toString("base64"));
  });

  test("TURN entries get a username that expires in 12 hours; STUN entries get nothing; without a secret the fixed ones stay", () => {
    const servers = [{ urls: "stun:stun.example.org:3478" }, { urls: "turn:turn.example.org:3478", username: "fixed", credential: "fixed-pw" }];
    const now = Date.UTC(2026, 10, 27, 12);
    const minted = iceServersNow({ iceServers: servers, turnSecret: "north-wind" }, now);
    expect(minted[0]).toEqual({ urls: "stun:stun.example.org:3478" });
    const [expiry, label] = minted[1]!.username!.split(":");
    expect(Number(expiry)).toBe(now / 1000 + TURN_CREDENTIAL_SECONDS);
    expect(label!.length).toBeGreaterThan(4);
    expect(minted[1]!.credential).toBe(turnCredential("north-wind", minted[1]!.username!));
    expect(iceServersNow({ iceServers: servers, turnSecret: "north-wind" }, now)[1]!.username).not.toBe(minted[1]!.username);
    expect(iceServersNow({ iceServers: servers, turnSecret: null }, now)).toEqual(servers);
  });
});

test("each TURN URL names its relay path: UDP unless ?transport=tcp, TLS for turns:", () => {
  expect(relayPathOf("turn:consult.example.org:3478?transport=udp")).toBe("turn-udp");
  expect(relayPathOf("turn:consult.example.org:3478")).toBe("turn-udp");
  expect(relayPathOf("turn:consult.example.org:3478?transport=tcp")).toBe("turn-tcp");
  expect(relayPathOf("turns:consult.example.org:5349?transport=tcp")).toBe("turns");
  expect(relayPathOf("stun:consult.example.org:3478")).toBeNull();
});
