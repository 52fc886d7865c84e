// The doctor's checks that talk to other programs: the running server, the TURN relays, the public URL's TLS
// certificate and the mail server. Each waits a few seconds at most and turns what went wrong into one line.
import { type PeerCertificate, checkServerIdentity, connect as connectTLS, rootCertificates, type TLSSocket } from "node:tls";
import { isIP } from "node:net";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { iceServersNow } from "../rooms/turn.ts";
import { smtpSession } from "../mail/mailer.ts";
import { type CheckResult, fail, ok, warn } from "./doctor.ts";
import { parseTurnUrl, tryAllocate } from "./doctor-stun.ts";

const DAY = 86_400_000;

function localOrigin(config: Config): string {
  const { hostname, port } = config.listen;
  const host = hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Whether a Kabinet answers /livez on the configured listener (it then holds media ports and the database). */
export async function serverAnswers(config: Config): Promise<boolean> {
  try {
    const r = await fetch(`${localOrigin(config)}/livez`, { signal: AbortSignal.timeout(1500) });
    return r.ok;
  } catch {
    return false;
  }
}

export async function checkServer(config: Config, running: boolean): Promise<CheckResult> {
  const name = "server";
  const origin = localOrigin(config);
  if (!running) return warn(name, `no Kabinet answers at ${origin}`, "Start it (docker compose up -d, or kabinet serve), unless it is meant to be stopped.");
  try {
    const r = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(3000) });
    if (r.ok) return ok(name, `the server at ${origin} is ready`);
    const body = (await r.json().catch(() => ({}))) as { reason?: string };
    return fail(name, `the server at ${origin} is not ready: ${body.reason ?? `status ${r.status}`}`, "Fix the cause named above (the lines before name it too); the server recovers on its own once it is gone.");
  } catch (err) {
    return fail(name, `the server at ${origin} answered /livez but not /readyz (${(err as Error).name})`, "Look at the server's log (docker compose logs kabinet) for what blocks it.");
  }
}

export async function checkTURN(config: Config, ca: string | null, clock: Clock): Promise<CheckResult[]> {
  const name = "turn";
  const servers = iceServersNow(config, clock.now()).filter((s) => s.urls.startsWith("turn"));
  if (servers.length === 0) return [ok(name, "no TURN server configured: media goes directly over UDP only")];
  return await Promise.all(
    servers.map(async (server): Promise<CheckResult> => {
      const url = server.urls;
      const target = parseTurnUrl(url);
      if (!target) return fail(name, `${url} is not a TURN URL this check understands`, "Write it as turn:host:port?transport=udp|tcp or turns:host:port.");
      if (!server.username || !server.credential) {
        return fail(name, `${url}: no credentials to sign in with`, "Set KABINET_TURN_SECRET_FILE to coturn's static-auth-secret (or KABINET_TURN_USERNAME and KABINET_TURN_PASSWORD_FILE).");
      }
      const outcome = await tryAllocate(target, { username: server.username, password: server.credential }, { ca });
      const wrong = config.turnSecret
        ? "Make KABINET_TURN_SECRET_FILE hold the same secret as coturn's static-auth-secret (coturn needs use-auth-secret too)."
        : "Correct KABINET_TURN_USERNAME and KABINET_TURN_PASSWORD_FILE to an account the TURN server knows.";
      const via = target.transport === "udp" ? `UDP ${target.port}` : `TCP ${target.port}`;
      switch (outcome.kind) {
        case "allocated":
          return ok(name, `${url}: relay allocated with ${config.turnSecret ? "credentials minted from the shared secret" : "the configured credentials"}`);
        case "refused":
          return outcome.code === 401
            ? fail(name, `${url}: the credentials were refused (401): the secret or password does not match`, wrong)
            : fail(name, `${url}: the allocation was refused (${outcome.code ?? "no error code"})`, "Look at the TURN server's log for why it refuses relays (quota, denied peers, user limits).");
        case "no-answer":
          return fail(name, `${url}: no answer within 3 s`, `Check that the TURN server runs and that ${via} is open in the firewalls between this host and it.`);
        case "unreachable":
          if (/CERT|SELF_SIGNED|ALTNAME/.test(outcome.code)) {
            return fail(name, `${url}: its certificate is not trusted (${outcome.code})`, `Serve a certificate for ${target.host} from a CA browsers trust (the shipped relay uses Caddy's), or pass --ca FILE for a private CA.`);
          }
          return fail(name, `${url}: cannot connect (${outcome.code})`, `Check that the TURN server runs, that ${target.host} resolves to it and that ${via} is open.`);
      }
    }),
  );
}

export async function checkTLS(config: Config, ca: string | null, clock: Clock): Promise<CheckResult> {
  const name = "tls certificate";
  const url = config.publicUrl;
  if (url.protocol !== "https:") {
    if (/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname)) return ok(name, `public URL ${url.origin} is local: no certificate to check`);
    return warn(name, `public URL ${url.origin} is plain http: passwords and records would cross the network unencrypted`, "Put Caddy in front and set KABINET_PUBLIC_URL to the https:// address (README, Production install).");
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = url.port ? Number(url.port) : 443;
  let peer: { cert: PeerCertificate; authorized: boolean; error: string | null };
  try {
    peer = await handshake(host, port, ca);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return fail(name, `cannot complete a TLS handshake with ${host}:${port} (${code})`, `Check that Caddy runs, that port ${port} is open and that ${host} resolves to this host.`);
  }
  const mismatch = checkServerIdentity(host, peer.cert);
  if (mismatch) {
    const names = peer.cert.subjectaltname ?? peer.cert.subject?.CN ?? "another name";
    return fail(name, `the certificate at ${host}:${port} is for ${names}, not ${host}`, "Serve a certificate for the public URL's host: KABINET_PUBLIC_URL and Caddy's site address must name the same domain.");
  }
  const left = Date.parse(peer.cert.valid_to) - clock.now();
  if (!peer.authorized) {
    if (peer.error === "CERT_HAS_EXPIRED" || left <= 0) return fail(name, `the certificate at ${host}:${port} has expired (${peer.cert.valid_to})`, "Renew it: Caddy's log says why automatic renewal failed (ports 80/443 reachable from the internet, DNS).");
    return fail(name, `the certificate at ${host}:${port} is not trusted (${peer.error ?? "unknown reason"})`, "Serve the full chain of a public CA (Caddy does with a public domain), or pass --ca FILE when the organisation runs its own CA.");
  }
  const issuer = peer.cert.issuer?.O ?? peer.cert.issuer?.CN ?? "unknown issuer";
  const remaining = left >= 2 * DAY ? `${Math.floor(left / DAY)} days` : `${Math.max(0, Math.floor(left / 3600_000))} h`;
  const renew = "Renew it now: Caddy's log says why automatic renewal has not happened (it renews public certificates 30 days ahead).";
  if (left < 3 * DAY) return fail(name, `the certificate at ${host}:${port} (${issuer}) expires in ${remaining}`, renew);
  if (left < 14 * DAY) return warn(name, `the certificate at ${host}:${port} (${issuer}) expires in ${remaining}`, renew);
  return ok(name, `trusted certificate at ${host}:${port} (${issuer}), valid for ${remaining}`);
}

/** One TLS handshake as a browser makes it (system CAs, plus a private CA when given); the verdict is read, not enforced. */
function handshake(host: string, port: number, ca: string | null): Promise<{ cert: PeerCertificate; authorized: boolean; error: string | null }> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connectTLS({
      host,
      port,
      ...(isIP(host) ? {} : { servername: host }),
      ...(ca ? { ca: [...rootCertificates, ca] } : {}),
      rejectUnauthorized: false,
      // Identity is checked separately, so a wrong name and an untrusted chain are told apart.
      checkServerIdentity: () => undefined,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" }));
    }, 5000);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      const error = socket.authorizationError ? String((socket.authorizationError as Error & { code?: string }).code ?? socket.authorizationError) : null;
      resolve({ cert, authorized: socket.authorized, error });
      socket.end();
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export async function checkSMTP(config: Config): Promise<CheckResult> {
  const name = "mail";
  const smtp = config.smtp;
  if (!smtp) return warn(name, "KABINET_SMTP_URL is not set: mail waits in the queue", "Set KABINET_SMTP_URL (and KABINET_SMTP_PASSWORD_FILE) to the organisation's mail server.");
  const session = await smtpSession(smtp, { connectMs: 8000, socketMs: 10_000 });
  const where = session.where;
  const user = smtp.url.username;
  const secure = smtp.url.protocol === "smtps:";
  try {
    await session.open();
    return ok(name, user ? `signed in to ${where}` : `${where} answers (no login configured)`);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === "EAUTH") return fail(name, `${where} refused the login`, "Check the user in KABINET_SMTP_URL and the password in KABINET_SMTP_PASSWORD_FILE.");
    if (e.code === "ETLS" || /STARTTLS/i.test(e.message ?? "")) {
      return fail(name, `${where} does not upgrade to TLS (STARTTLS refused or not offered)`, "Use smtps:// (port 465) or enable STARTTLS on the mail server; ?starttls=off only for a trusted relay on this network.");
    }
    if (secure && /ssl|tls|wrong version|handshake|packet length/i.test(e.message ?? "")) {
      return fail(name, `${where} does not speak TLS from the first byte, as smtps:// expects (${e.code ?? "error"})`, "Use smtps:// only with the server's TLS port (usually 465); for port 587 write smtp:// (it upgrades with STARTTLS).");
    }
    return fail(name, `cannot reach the mail server at ${where} (${e.code ?? "error"})`, "Check the host and port in KABINET_SMTP_URL and that the firewall lets this host reach them.");
  } finally {
    session.close();
  }
}
