/**
 * Opens GET /docs in headless Chromium against a local `wrangler dev` and checks that the page
 * renders every operation of /openapi.json and loads nothing from any host but the Worker.
 *
 * Node, not workerd (a browser and a child process): `npm run test:browser`, node's test runner.
 * Needs Debian's chromium at /usr/bin/chromium (or CHROMIUM_PATH); .ci/run installs it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type BrowserContext, chromium } from "playwright-core";
import { type DevServer, ROOT, removeScratchDirs, scratchDir, startDevServer } from "./support/dev-server.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const READY_TIMEOUT_MS = 90_000;
const PAGE_TIMEOUT_MS = 60_000;

let server: DevServer | undefined;
let base = "";

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  assert.ok(existsSync(join(ROOT, "public/docs/assets/scalar-api-reference.js")), "run `npm run docs:assets` first (npm run test:browser does)");
  server = await startDevServer({ label: "docs" });
  base = server.base;
});

after(async () => {
  await server?.stop();
  removeScratchDirs();
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

/**
 * The document, the page and the script are static assets; what hides them in production is
 * wrangler.toml's run_worker_first (the Worker answers first, and DOCS_ENABLED=false makes it 404).
 * The workerd tests call the Worker directly and never meet that routing: this checks it on a real
 * `wrangler dev`, with the asset files present.
 */
test("with DOCS_ENABLED=false the assets behind /docs answer 404 too, through the Worker", { timeout: READY_TIMEOUT_MS + PAGE_TIMEOUT_MS }, async () => {
  const hidden = await startDevServer({ label: "docs-off", vars: { DOCS_ENABLED: "false" } });
  try {
    for (const path of ["/openapi.json", "/docs", "/docs/assets/scalar-api-reference.js", "/docs/assets/reference", "/docs/assets/reference.html"]) {
      const response = await fetch(`${hidden.base}${path}`, { redirect: "manual" });
      assert.equal(response.status, 404, `${path} answered ${response.status}`);
      const body = (await response.json()) as { error?: { code?: string } };
      assert.equal(body.error?.code, "not_found", `${path} is the Worker's 404, not a static file`);
    }
  } finally {
    await hidden.stop();
  }
});
