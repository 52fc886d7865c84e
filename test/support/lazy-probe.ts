// Compiled into its own binary by test/lazy-builtins.test.ts, with the same build plugin as Kabinet's binary, to prove
// that the lazily loaded libraries still work when their Node built-ins are deferred: a mail through nodemailer's
// composer and SMTP client, and media through werift and the SFU. Prints one JSON line with what happened.
import { smtpMailer } from "../../src/mail/mailer.ts";
import { loadMediaServer } from "../../src/rooms/sfu/load.ts";

const [smtpUrl] = process.argv.slice(2);
const result: Record<string, unknown> = {};
try {
  await smtpMailer({ smtp: { url: new URL(smtpUrl!), password: undefined }, mailFrom: "probe@example.org" }).send({
    to: "probe@example.org",
    subject: "lazy built-ins",
    text: "sent from a compiled probe",
    messageId: "<probe@example.org>",
  });
  result.mail = "sent";
} catch (err) {
  result.mail = String(err);
}
try {
  const { MediaServer } = await loadMediaServer(); // the way the app loads it
  const { publishThrough, viewThrough } = await import("./werift-peers.ts");
  const server = new MediaServer({ portRange: [47000, 47099], advertise: ["127.0.0.1"] });
  const publisher = await publishThrough(server, 4343);
  const viewer = await viewThrough(server, publisher.media);
  for (let s = 1; s <= 40; s++) {
    publisher.sendVideo(s);
    await Bun.sleep(5);
  }
  const deadline = Date.now() + 5000;
  while (viewer.videoSeqs.length < 30 && Date.now() < deadline) await Bun.sleep(20);
  result.videoPackets = viewer.videoSeqs.length;
  await viewer.close();
  await publisher.close();
} catch (err) {
  result.media = String(err);
}
console.log(JSON.stringify(result));
process.exit(0);
