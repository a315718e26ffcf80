/**
 * Opens GET /docs in headless Chromium against a local `wrangler dev` and checks that the page
 * renders every operation of /openapi.json and loads nothing from any host but the Worker.
 *
 * Node, not workerd (a browser and a child process): `npm run test:browser`, node's test runner.
 * Needs Debian's chromium at /usr/bin/chromium (or CHROMIUM_PATH); .ci/run installs it.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const READY_TIMEOUT_MS = 90_000;
const PAGE_TIMEOUT_MS = 60_000;

let wrangler: ChildProcess | undefined;
let wranglerLog = "";
let base = "";
const scratch: string[] = [];

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}

function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** Stops wrangler and the workerd it started: they share the process group we gave it. */
async function stopWrangler(): Promise<void> {
  const child = wrangler;
  wrangler = undefined;
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // Already gone.
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
  signal("SIGKILL"); // any workerd left behind in the group
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  assert.ok(existsSync(join(ROOT, "public/docs/assets/scalar-api-reference.js")), "run `npm run docs:assets` first (npm run test:browser does)");
  const [port, inspectorPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${port}`;
  // The Node running this test (24, from the `node` devDependency), whatever `node` is on PATH.
  wrangler = spawn(
    process.execPath,
    [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      scratchDir("docs-wrangler-"),
      "--show-interactive-dev-session=false",
      "--var",
      "ENVIRONMENT:development",
    ],
    { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" } },
  );
  wrangler.stdout!.on("data", (chunk: Buffer) => (wranglerLog += chunk.toString()));
  wrangler.stderr!.on("data", (chunk: Buffer) => (wranglerLog += chunk.toString()));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (wrangler.exitCode !== null) assert.fail(`wrangler dev exited with ${wrangler.exitCode}:\n${wranglerLog}`);
    try {
      // Any answer means the Worker is up (/healthz may be 503 with a provider misconfigured).
      await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) assert.fail(`wrangler dev was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${wranglerLog}`);
    await new Promise((done) => setTimeout(done, 250));
  }
});

after(async () => {
  await stopWrangler();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Hosts the page may talk to: the Worker on this machine. */
function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (!["http:", "https:", "ws:", "wss:"].includes(protocol)) return true; // data:, blob:, about:
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
}

interface Operation {
  method: string;
  path: string;
  summary: string;
}

test("GET /docs renders every endpoint, served by the Worker alone", { timeout: READY_TIMEOUT_MS + 2 * PAGE_TIMEOUT_MS }, async () => {
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary: string }>> };
  const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ method, path, summary: operation.summary })),
  );
  assert.ok(operations.length >= 6, "the document lists the API's operations");

  let context: BrowserContext | undefined;
  const requested: string[] = [];
  const answered = new Map<string, number>();
  try {
    context = await chromium.launchPersistentContext(scratchDir("docs-chromium-"), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      timeout: PAGE_TIMEOUT_MS,
    });
    context.on("request", (request) => requested.push(request.url()));
    context.on("response", (response) => answered.set(response.url(), response.status()));
    // Nothing leaves the machine even if the page tried: the test stays offline and fast, and
    // the attempt is still recorded above and fails the check below.
    await context.route(
      (url) => !isLocal(url.href),
      (route) => route.abort(),
    );

    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${base}/docs`, { waitUntil: "load", timeout: PAGE_TIMEOUT_MS });
    // Rendered client-side from /openapi.json: wait for the last operation to show up.
    await page.getByText(operations.at(-1)!.summary).first().waitFor({ timeout: PAGE_TIMEOUT_MS });
    await page.waitForLoadState("networkidle", { timeout: PAGE_TIMEOUT_MS });

    // biome-ignore lint/performance/useDomNodeTextContent: what a reader sees (innerText), not hidden markup
    const text = await page.locator("body").innerText();
    const missing = operations.filter((op) => !text.includes(op.summary) || !text.includes(op.path));
    if (missing.length > 0 || process.env.DOCS_SCREENSHOT) {
      const shot = process.env.DOCS_SCREENSHOT ?? join(tmpdir(), "docs-page.png");
      await page.screenshot({ path: shot });
      console.log(`screenshot: ${shot}`);
    }
    assert.deepEqual(
      missing.map((op) => `${op.method.toUpperCase()} ${op.path} (${op.summary})`),
      [],
      "operations not shown on the page",
    );

    assert.equal(answered.get(`${base}/docs/assets/scalar-api-reference.js`), 200, "the script comes from the Worker's static assets");
    assert.equal(answered.get(`${base}/openapi.json`), 200, "the page loads the document from the Worker");
    assert.deepEqual(
      requested.filter((url) => !isLocal(url)),
      [],
      "requests to other hosts",
    );
  } finally {
    await context?.close();
  }
});
