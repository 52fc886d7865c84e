import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "./config.ts";

function problem(env: Record<string, string>): string {
  try {
    loadConfig(env, "/srv");
    return "no error";
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
}

describe("configuration", () => {
  test("defaults serve on loopback with data in ./data", () => {
    const c = loadConfig({}, "/srv");
    expect(c.dataDir).toBe("/srv/data");
    expect(c.listen).toEqual({ hostname: "127.0.0.1", port: 8080 });
    expect(c.publicUrl.origin).toBe("http://127.0.0.1:8080");
    expect(c.logLevel).toBe("info");
    expect(c.masterKeyFile).toBeNull();
  });

  test("reads every variable", () => {
    const c = loadConfig(
      { KABINET_DATA_DIR: "/var/lib/k", KABINET_LISTEN: "0.0.0.0:9000", KABINET_PUBLIC_URL: "https://consult.example.org", KABINET_LOG_LEVEL: "warn" },
      "/srv",
    );
    expect(c.dataDir).toBe("/var/lib/k");
    expect(c.listen).toEqual({ hostname: "0.0.0.0", port: 9000 });
    expect(c.publicUrl.origin).toBe("https://consult.example.org");
    expect(c.logLevel).toBe("warn");
  });

  test.each([
    [{ KABINET_LISTEN: "8080" }, /^KABINET_LISTEN is not host:port: "8080" \(example: KABINET_LISTEN=0\.0\.0\.0:8080\)$/],
    [{ KABINET_LISTEN: "h:70000" }, /^KABINET_LISTEN has a port above 65535/],
    [{ KABINET_PUBLIC_URL: "consult.example.org" }, /^KABINET_PUBLIC_URL is not an http\(s\) URL.*example: KABINET_PUBLIC_URL=https:/],
    [{ KABINET_PUBLIC_URL: "https://x.org/app" }, /^KABINET_PUBLIC_URL must be an origin only/],
    [{ KABINET_LOG_LEVEL: "verbose" }, /^KABINET_LOG_LEVEL is not one of debug, info, warn, error: "verbose"/],
    [{ KABINET_MASTER_KEY_FILE: "missing.key" }, /^KABINET_MASTER_KEY_FILE names \/srv\/missing\.key, which does not exist \(example:/],
  ])("%p is refused with the variable, the problem and an example", (env, message) => {
    expect(problem(env)).toMatch(message);
  });

  test("an empty value counts as unset", () => {
    expect(loadConfig({ KABINET_LOG_LEVEL: " " }, "/srv").logLevel).toBe("info");
  });
});

describe("session and proxy settings", () => {
  test("defaults and bounds", () => {
    expect(loadConfig({}, "/srv")).toMatchObject({ sessionIdleMinutes: 30, trustProxy: false });
    expect(loadConfig({ KABINET_SESSION_IDLE_MINUTES: "60", KABINET_TRUST_PROXY: "true" }, "/srv")).toMatchObject({
      sessionIdleMinutes: 60,
      trustProxy: true,
    });
    expect(problem({ KABINET_SESSION_IDLE_MINUTES: "2" })).toMatch(/^KABINET_SESSION_IDLE_MINUTES is below 5/);
    expect(problem({ KABINET_SESSION_IDLE_MINUTES: "soon" })).toMatch(/^KABINET_SESSION_IDLE_MINUTES is not a whole number of minutes/);
    expect(problem({ KABINET_TRUST_PROXY: "yes" })).toMatch(/^KABINET_TRUST_PROXY is not true or false/);
  });
});

describe("media settings", () => {
  test("a port range and an advertised address", () => {
    expect(loadConfig({}, "/srv")).toMatchObject({ mediaPorts: [40000, 40099], publicIp: null });
    expect(loadConfig({ KABINET_MEDIA_PORTS: "50000-50010", KABINET_PUBLIC_IP: "203.0.113.10" }, "/srv")).toMatchObject({
      mediaPorts: [50000, 50010],
      publicIp: "203.0.113.10",
    });
    expect(problem({ KABINET_MEDIA_PORTS: "50000" })).toMatch(/^KABINET_MEDIA_PORTS is not a range like 40000-40099/);
    expect(problem({ KABINET_MEDIA_PORTS: "50010-50000" })).toMatch(/^KABINET_MEDIA_PORTS must be two ports/);
    expect(problem({ KABINET_PUBLIC_IP: "example.org" })).toMatch(/^KABINET_PUBLIC_IP is not an IPv4 address/);
  });
});

describe("STUN/TURN", () => {
  test("none unless configured; TURN servers get the username and password", () => {
    expect(loadConfig({}, "/srv").iceServers).toEqual([]);
    const c = loadConfig({ KABINET_ICE_SERVERS: "stun:stun.example.org:3478, turn:turn.example.org:3478", KABINET_TURN_USERNAME: "k", KABINET_TURN_PASSWORD: "s3cret" }, "/srv");
    expect(c.iceServers).toEqual([{ urls: "stun:stun.example.org:3478" }, { urls: "turn:turn.example.org:3478", username: "k", credential: "s3cret" }]);
    expect(problem({ KABINET_ICE_SERVERS: "https://turn.example.org" })).toMatch(/^KABINET_ICE_SERVERS must be stun:, turn: or turns: URLs/);
  });
});

test("a wrong SMTP URL or password is reported without its secret", () => {
  expect(() => loadConfig({ KABINET_SMTP_URL: "http://mailer:s3cret@mail.example.org" })).toThrow(/KABINET_SMTP_URL is not an smtp:\/\/ or smtps:\/\/ URL: "http:\/\/<credentials>@mail\.example\.org"/);
  let message = "";
  try {
    loadConfig({ KABINET_SMTP_URL: "smtp://mailer:s3cret@mail example.org" });
  } catch (err) {
    message = String(err);
  }
  expect(message).toContain("KABINET_SMTP_URL");
  expect(message).not.toContain("s3cret");
});

describe("operations settings", () => {
  test("metrics on loopback by default, off or elsewhere when asked; backups beside the data unless moved", () => {
    const c = loadConfig({}, "/srv");
    expect(c.metrics).toEqual({ listen: { hostname: "127.0.0.1", port: 9464 }, token: null });
    expect(c.backup).toEqual({ dir: "/srv/data/backups", everyHours: 24, keep: { daily: 7, weekly: 4, monthly: 12 }, sftp: null, drillEveryDays: 7 });
    expect(loadConfig({ KABINET_METRICS_LISTEN: "off" }, "/srv").metrics.listen).toBeNull();
    expect(loadConfig({ KABINET_METRICS_LISTEN: "0.0.0.0:9100", KABINET_METRICS_TOKEN: "t0k3n" }, "/srv").metrics).toEqual({ listen: { hostname: "0.0.0.0", port: 9100 }, token: "t0k3n" });
    const moved = loadConfig({ KABINET_DATA_DIR: "/var/lib/k", KABINET_BACKUP_KEEP: "3d,0w,1m", KABINET_BACKUP_EVERY_HOURS: "0" }, "/srv").backup;
    expect(moved).toMatchObject({ dir: "/var/lib/k/backups", everyHours: 0, keep: { daily: 3, weekly: 0, monthly: 1 } });
  });

  test.each([
    [{ KABINET_METRICS_LISTEN: "9464" }, "KABINET_METRICS_LISTEN is not host:port or off"],
    [{ KABINET_METRICS_TOKEN: "" , KABINET_METRICS_LISTEN: "x:99999" }, "KABINET_METRICS_LISTEN has a port above 65535"],
    [{ KABINET_BACKUP_KEEP: "7,4,12" }, "KABINET_BACKUP_KEEP is not daily, weekly and monthly counts like 7d,4w,12m"],
    [{ KABINET_BACKUP_KEEP: "0d,0w,0m" }, "KABINET_BACKUP_KEEP keeps no backup at all"],
    [{ KABINET_BACKUP_EVERY_HOURS: "200" }, "KABINET_BACKUP_EVERY_HOURS is above 168"],
    [{ KABINET_BACKUP_SFTP_URL: "https://backup.example.org/k" }, "KABINET_BACKUP_SFTP_URL is not an sftp:// URL"],
    [{ KABINET_BACKUP_SFTP_URL: "sftp://backup.example.org/k" }, "KABINET_BACKUP_SFTP_URL must name a user and no password"],
    [{ KABINET_BACKUP_SFTP_URL: "sftp://b@backup.example.org/k" }, "KABINET_BACKUP_SFTP_KEY_FILE is not set"],
    [{ KABINET_BACKUP_SFTP_URL: "sftp://b@backup.example.org/k", KABINET_BACKUP_SFTP_KEY_FILE: "/etc/hostname" }, "KABINET_BACKUP_SFTP_HOST_KEY is not set"],
    [{ KABINET_BACKUP_SFTP_HOST_KEY: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s" }, "KABINET_BACKUP_SFTP_URL is not set, but KABINET_BACKUP_SFTP_HOST_KEY is"],
    [{ KABINET_BACKUP_SFTP_HOST_KEY: "md5:aa:bb" }, "KABINET_BACKUP_SFTP_HOST_KEY is not a SHA256:… fingerprint"],
  ])("%o is refused: %s", (env, message) => {
    expect(problem(env as Record<string, string>)).toContain(message);
  });

  test("a wrong metrics token is never shown", () => {
    expect(problem({ KABINET_METRICS_LISTEN: "bad", KABINET_METRICS_TOKEN: "s3cret" })).not.toContain("s3cret");
  });
});
