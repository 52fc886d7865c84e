// Accounts as people use them, in real Chromium: setup with the code from the log, the admin enrols two-factor,
// invites a specialist who accepts, enrols, signs in and out and resets a forgotten password; a client registers with a code from the mail (and
// consent) and lands back on the page they came from, then signs in without two-factor.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import type { Browser } from "playwright-core";
import { currentTOTP } from "../../src/accounts/totp.ts";
import { jobWorker } from "../../src/worker.ts";
import { type SmtpServer, startSmtp } from "../support/smtp.ts";
import { type ServedInstallation, serveInstallation, type TestInstallation } from "../support/installation.ts";
import { DESKTOP, launchChromium, PHONE, screenshotPath } from "../support/browser.ts";

let served: ServedInstallation;
let inst: TestInstallation;
let browser: Browser;
let origin: string;
let smtp: SmtpServer;
const problems: string[] = [];
const foreign: string[] = [];

beforeAll(async () => {
  smtp = await startSmtp();
  served = await serveInstallation({ KABINET_SMTP_URL: smtp.url });
  ({ inst, origin } = served);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await smtp?.stop();
});

async function phone(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US" });
  const page = await context.newPage();
  // A form re-rendered with its errors answers 422, which Chromium logs; anything else is a problem.
  page.on("console", (m) => m.type() === "error" && !m.text().includes("status of 422") && problems.push(`${page.url()}: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("request", (r) => !r.url().startsWith(origin) && !r.url().startsWith("data:") && foreign.push(r.url()));
  return { context, page };
}

async function enrolTwoFactor(page: Page, shot: string): Promise<string> {
  await page.waitForURL(`${origin}/account/two-factor`);
  await page.screenshot({ path: screenshotPath(`${shot}-enrol-phone`), fullPage: true });
  const secret = (await page.getByTestId("totp-secret").textContent())!.trim();
  await page.getByLabel("Code", { exact: true }).fill(currentTOTP(secret));
  await page.getByRole("button", { name: "Turn on two-factor" }).click();
  await page.getByTestId("recovery-codes").waitFor();
  const codes = await page.getByTestId("recovery-codes").locator("li").allTextContents();
  expect(codes).toHaveLength(10);
  // Copy (the bundled script) and Download (a file built by the server) both give exactly these codes.
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  await page.getByRole("button", { name: "Copy", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "Copied." }).waitFor();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(codes.join("\n"));
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download (.txt)" }).click()]);
  expect(download.suggestedFilename()).toBe("kabinet-recovery-codes.txt");
  const file = readFileSync((await download.path())!, "utf8");
  expect(file.split("\r\n").filter((l) => /^[A-Z2-9]{5}-[A-Z2-9]{5}$/.test(l))).toEqual(codes);
  await page.screenshot({ path: screenshotPath(`${shot}-recovery-codes-phone`), fullPage: true });
  await page.getByRole("button", { name: "I have saved my codes" }).click();
  return secret;
}

test("setup → admin enrols → invites a specialist → specialist accepts, enrols, resets a forgotten password, signs in; a client registers with a code and lands back", async () => {
  // ── the admin, on a phone ──
  const { context: adminContext, page: admin } = await phone();
  await admin.goto(`${origin}/`);
  await admin.waitForURL(`${origin}/setup`);
  await admin.screenshot({ path: screenshotPath("setup-phone"), fullPage: true });
  const code = inst.logs.map((l) => JSON.parse(l)).find((l) => l.setupCode)!.setupCode as string;
  await admin.getByLabel("Setup code", { exact: true }).fill(code);
  await admin.getByLabel("Organisation name", { exact: true }).fill("Клиника «Здоровье»");
  await admin.getByLabel("Time zone", { exact: true }).selectOption("Europe/Moscow");
  await admin.getByLabel("Your name", { exact: true }).fill("Анна Админова");
  await admin.getByLabel("Email", { exact: true }).fill("anna@clinic.example");
  await admin.getByLabel("Password", { exact: true }).fill("first admin passphrase");
  await admin.getByRole("button", { name: "Create organisation" }).click();
  await enrolTwoFactor(admin, "admin");
  await admin.locator("h1", { hasText: "Hello, Анна Админова" }).waitFor();

  // invite a specialist: every admin page is on Administration
  await admin.getByRole("link", { name: "Administration" }).click();
  await admin.getByRole("link", { name: "People" }).click();
  await admin.getByLabel("Name", { exact: true }).fill("Dr. Sergey Ivanov");
  await admin.getByLabel("Email", { exact: true }).fill("sergey@clinic.example");
  await admin.getByLabel("Role", { exact: true }).selectOption("specialist");
  await admin.getByRole("button", { name: "Create invitation" }).click();
  const link = (await admin.getByTestId("one-time-link").textContent())!.trim();
  expect(link).toStartWith(`${origin}/link/`);
  await admin.screenshot({ path: screenshotPath("invitation-link-phone"), fullPage: true });

  // allow clients to register
  await admin.getByRole("link", { name: "Administration" }).click();
  await admin.getByRole("link", { name: "Settings" }).click();
  await admin.getByLabel("Clients may create their own accounts", { exact: true }).check();
  await admin.getByRole("button", { name: "Save settings" }).click();
  await admin.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  // and ask for consent to the processing of personal data
  await admin.goto(`${origin}/admin/consent`);
  const processing = admin.locator('section[aria-labelledby="purpose-processing"]');
  await processing.getByLabel("Ask for consent when clients create an account", { exact: true }).check();
  await processing.getByLabel("Text in English", { exact: true }).fill("The clinic keeps your name and email to hold consultations.\n\nWe do not pass them on.");
  await processing.getByLabel("Text in Russian", { exact: true }).fill("Клиника хранит ваше имя и почту, чтобы проводить консультации.\n\nМы не передаём их третьим лицам.");
  await processing.getByRole("button", { name: "Save" }).click();
  await admin.getByRole("status").filter({ hasText: "Saved as version 1." }).waitFor();
  await admin.screenshot({ path: screenshotPath("consent-admin-phone"), fullPage: true });
  await admin.getByRole("button", { name: "Sign out" }).click();
  await admin.waitForURL(`${origin}/signin`);
  await adminContext.close();

  // ── the specialist ──
  const { context: specContext, page: spec } = await phone();
  await spec.goto(link);
  await spec.waitForURL(`${origin}/welcome`); // the token left the address bar
  await spec.getByText("Hello, Dr. Sergey Ivanov").waitFor();
  await spec.getByLabel("New password", { exact: true }).fill("short");
  await spec.getByRole("button", { name: "Save password" }).click();
  await spec.getByRole("alert").waitFor();
  expect(await spec.locator("#f-password-error").textContent()).toBe("Use at least 10 characters.");
  expect(await spec.getByLabel("New password", { exact: true }).getAttribute("aria-invalid")).toBe("true");
  await spec.getByLabel("New password", { exact: true }).fill("sergey's own passphrase");
  await spec.getByRole("button", { name: "Save password" }).click();
  const secret = await enrolTwoFactor(spec, "specialist");
  await spec.locator("h1", { hasText: "Hello, Dr. Sergey Ivanov" }).waitFor();
  await spec.getByRole("button", { name: "Sign out" }).click();
  await spec.waitForURL(`${origin}/signin`);

  // He forgets his password: a link by mail sets a new one, and sign-in still asks for his second factor.
  await spec.getByRole("link", { name: "Forgot your password?" }).click();
  await spec.getByLabel("Email", { exact: true }).fill("sergey@clinic.example");
  await spec.getByRole("button", { name: "Send me a link" }).click();
  await spec.locator("h1", { hasText: "Check your mail" }).waitFor();
  await spec.screenshot({ path: screenshotPath("reset-sent-phone"), fullPage: true });
  await jobWorker(inst).runDue();
  const resetMail = smtp.messages().find((m) => m.to.includes("sergey@clinic.example") && m.subject.startsWith("Set a new password"))!;
  await spec.goto(resetMail.text.match(/https?:\/\/\S+\/link\/[A-Za-z0-9_-]{43}/)![0]);
  await spec.waitForURL(`${origin}/welcome`);
  await spec.getByLabel("New password", { exact: true }).fill("sergey's new passphrase");
  await spec.getByRole("button", { name: "Save password" }).click();
  await spec.waitForURL(`${origin}/signin?reset=1`);
  await spec.getByRole("status").filter({ hasText: "Your password is set." }).waitFor();

  await spec.getByLabel("Email", { exact: true }).fill("sergey@clinic.example");
  await spec.getByLabel("Password", { exact: true }).fill("sergey's new passphrase");
  await spec.getByRole("button", { name: "Sign in" }).click();
  await spec.waitForURL(`${origin}/signin/two-factor`);
  await spec.screenshot({ path: screenshotPath("two-factor-phone"), fullPage: true });
  expect(await spec.getByLabel("Code", { exact: true }).getAttribute("inputmode")).toBe("numeric");
  await spec.getByLabel("Code", { exact: true }).fill(currentTOTP(secret, Date.now() + 30_000)); // the enrolment used this step's code
  await spec.getByRole("button", { name: "Continue" }).click();
  await spec.locator("h1", { hasText: "Hello, Dr. Sergey Ivanov" }).waitFor();
  await spec.getByRole("link", { name: "My account" }).click();
  await spec.screenshot({ path: screenshotPath("account-phone"), fullPage: true });
  await spec.setViewportSize(DESKTOP);
  await spec.screenshot({ path: screenshotPath("account-desktop"), fullPage: true });
  await spec.getByRole("button", { name: "Sign out", exact: true }).first().click();
  await spec.waitForURL(`${origin}/signin`);
  await specContext.close();

  // ── a visitor who picked a page to come back to registers with a code from the mail, and lands back there ──
  const { context: clientContext, page: client } = await phone();
  await client.goto(`${origin}/register?return=${encodeURIComponent("/book")}`);
  await client.getByLabel("Your name", { exact: true }).fill("Мария Клиентова");
  await client.getByLabel("Email", { exact: true }).fill("maria@mail.example");
  await client.getByRole("button", { name: "Create account" }).click();
  // The box is required: the form comes back with the reason next to it.
  await client.locator("#f-consent-error", { hasText: "To create an account, please tick this box." }).waitFor();
  await client.screenshot({ path: screenshotPath("register-consent-error-phone"), fullPage: true });
  await client.getByLabel("I agree to the processing of my personal data as described above.", { exact: true }).check();
  await client.getByRole("button", { name: "Create account" }).click();
  // The same answer whether or not the address has an account; the code proves the mailbox.
  await client.locator("h1", { hasText: "Enter the code from your email" }).waitFor();
  const codeField = client.getByLabel("6-digit code", { exact: true });
  expect(await codeField.getAttribute("inputmode")).toBe("numeric");
  expect(await codeField.getAttribute("autocomplete")).toBe("one-time-code");
  await client.screenshot({ path: screenshotPath("register-code-phone"), fullPage: true });
  await jobWorker(inst).runDue();
  const mailed = smtp.messages().find((m) => m.to.includes("maria@mail.example"))!;
  expect(mailed.text).not.toContain("/link/"); // a code, not a link
  await codeField.fill(mailed.subject.match(/(\d{6})/)![1]!);
  await client.getByRole("button", { name: "Continue" }).click();
  await client.waitForURL(`${origin}/welcome`);
  await client.getByLabel("New password", { exact: true }).fill("maria's passphrase");
  await client.getByRole("button", { name: "Save password" }).click();
  await client.waitForURL(`${origin}/book`); // back where the visitor was going
  await client.screenshot({ path: screenshotPath("register-landed-phone"), fullPage: true });
  await client.getByRole("link", { name: "My account" }).click();
  await client.getByText("You accepted version 1 of the consent text on").waitFor();
  await client.getByRole("button", { name: "Sign out" }).first().click();
  await client.waitForURL(`${origin}/signin`);
  await client.getByLabel("Email", { exact: true }).fill("maria@mail.example");
  await client.getByLabel("Password", { exact: true }).fill("maria's passphrase");
  await client.getByRole("button", { name: "Sign in" }).click();
  await client.locator("h1", { hasText: "Hello, Мария Клиентова" }).waitFor();
  await clientContext.close();

  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
  const actions = (inst.db.$client.query("SELECT action FROM audit_log").all() as { action: string }[]).map((r) => r.action);
  expect(actions).toEqual(expect.arrayContaining(["setup.complete", "invitation.create", "invitation.accept", "two-factor.enable", "signin.success", "client.register", "client.register-verified", "consent.change", "consent.give"]));
}, 120_000);
