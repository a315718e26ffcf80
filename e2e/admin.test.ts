/**
 * The admin console (/admin) in headless Chromium against a local `wrangler dev`, as the support
 * desk uses it: sign in with a key, look up a locked phone, unlock it and see it unlocked, and see
 * the chart of the last 48 hours drawn from real sends. Nothing may load from another host.
 *
 * Same setup as docs.test.ts: `npm run test:browser` (node's test runner), Debian's chromium at
 * /usr/bin/chromium (or CHROMIUM_PATH).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { type BrowserContext, chromium } from "playwright-core";
import { type DevServer, removeScratchDirs, scratchDir, startDevServer } from "./support/dev-server.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const READY_TIMEOUT_MS = 90_000;
const PAGE_TIMEOUT_MS = 60_000;
const KEY = `eak_${randomBytes(32).toString("base64url")}`;

let server: DevServer | undefined;
let base = "";

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  server = await startDevServer({
    label: "admin",
    // D1's tables first: the local database under --persist-to starts empty.
    migrate: true,
    vars: {
      ADMIN_API_KEYS: createHash("sha256").update(KEY).digest("hex"),
      // A phone locks after three wrong codes, and a new code may follow after a second.
      PHONE_MAX_FAILED_GUESSES: "3",
      RESEND_INTERVAL_SECONDS: "1",
    },
  });
  base = server.base;
});

after(async () => {
  await server?.stop();
  removeScratchDirs();
});

const post = (path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

/** The code the console provider printed for `phone` (the dev log line sms.console). */
async function codeFor(phone: string): Promise<string> {
  for (let i = 0; i < 40; i += 1) {
    const lines = server!
      .log()
      .split("\n")
      .filter((line) => line.includes('"sms.console"') && line.includes(`"${phone}"`));
    const match = /"code":"(\d+)"/.exec(lines.at(-1) ?? "");
    if (match) return match[1]!;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`no code printed for ${phone}`);
}

function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (!["http:", "https:", "ws:", "wss:"].includes(protocol)) return true;
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
}

test("the console: sign in with a key, unlock a locked phone, see the chart", { timeout: READY_TIMEOUT_MS + 2 * PAGE_TIMEOUT_MS }, async () => {
  // A verified sign-in (the chart's "verified"), and a phone locked by three wrong codes.
  const happy = "+8613912340001";
  assert.equal((await post("/v1/codes", { phone: happy, purpose: "login" })).status, 202);
  assert.equal((await post("/v1/auth/sms-login", { phone: happy, code: await codeFor(happy) })).status, 200);
  const locked = "+8613712340002";
  assert.equal((await post("/v1/codes", { phone: locked, purpose: "login" })).status, 202);
  const right = await codeFor(locked);
  const wrong = right.replace(/\d/g, (d) => String((Number(d) + 1) % 10));
  for (let i = 0; i < 3; i += 1) await post("/v1/auth/sms-login", { phone: locked, code: wrong });
  await new Promise((done) => setTimeout(done, 1_100));
  assert.equal((await post("/v1/codes", { phone: locked, purpose: "login" })).status, 429, "the phone is locked");

  let context: BrowserContext | undefined;
  const requested: string[] = [];
  try {
    context = await chromium.launchPersistentContext(scratchDir("admin-chromium-"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      timeout: PAGE_TIMEOUT_MS,
    });
    context.on("request", (request) => requested.push(request.url()));
    await context.route(
      (url) => !isLocal(url.href),
      (route) => route.abort(),
    );
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    await page.goto(`${base}/admin`, { waitUntil: "load" });

    // Signed out: the key form. A wrong key is refused and the form stays.
    await page.locator("#key").fill("not-the-key-at-all-000000");
    await page.locator("#signin").click();
    await page.getByText("That key was refused").waitFor();
    await page.locator("#key").fill(KEY);
    await page.locator("#signin").click();
    await page.locator("#app").waitFor({ state: "visible" });

    // The chart: 48 hours of bars, this hour's with data.
    const sentBars = page.locator("#chart rect.sent");
    await sentBars.first().waitFor({ state: "attached" });
    assert.equal(await sentBars.count(), 48);
    assert.ok(Number(await sentBars.last().getAttribute("data-value")) >= 2, "codes sent this hour");
    assert.ok(Number(await page.locator("#chart rect.verified").last().getAttribute("data-value")) >= 1, "codes verified this hour");
    assert.ok(Number(await sentBars.last().getAttribute("height")) > 0, "the bar is drawn");
    assert.match((await page.locator("#budget").textContent()) ?? "", /\d+ of \d+ spent/);

    // Look up the locked phone, unlock it, and see it unlocked.
    await page.locator("#lookup-input").fill(locked);
    await page.locator("#lookup-button").click();
    const lock = page.locator("#f-lock");
    await lock.waitFor();
    assert.match((await lock.textContent()) ?? "", /^locked until /);
    await page.locator("#unlock").click();
    await page.locator("#f-lock", { hasText: "not locked" }).waitFor();
    assert.equal(await page.locator("#f-failed-guesses").textContent(), "0");
    // The unlock is in the phone's audit trail on the page, with the key as actor.
    await page.locator("#audit tbody", { hasText: "admin.phone_unlocked" }).waitFor();
  } finally {
    await context?.close();
  }
  // And the user can get a code again.
  assert.equal((await post("/v1/codes", { phone: locked, purpose: "login" })).status, 202);
  assert.deepEqual(
    requested.filter((url) => !isLocal(url)),
    [],
    "requests to other hosts",
  );
});
