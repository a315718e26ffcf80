/**
 * The server's lifecycle: the docs-assets pre-step, the build (`wrangler deploy --dry-run`), the D1
 * migrations into a fresh state directory, `wrangler dev` on that build, and its stop by the
 * process group of the wrangler process this script spawned (processes.ts).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { type Bundle, bundleInputs, bundleSize } from "./bundle.ts";
import { CodeLog } from "./codes.ts";
import { BenchError, HOST, indent, log, ROOT, sleep } from "./common.ts";
import { type Child, runWrangler, startWrangler, stop, WRANGLER } from "./processes.ts";

/**
 * The only settings changed from wrangler.toml's defaults (src/config.ts gives names and ranges).
 * Everything else — code length and TTL, resend interval, per-phone caps, guess limits, session
 * TTL — keeps its default, so each request runs the same checks and writes as in development.
 */
export const LOAD_TEST_VARS = {
  // Unset means production, which refuses the console provider; a local run is development.
  ENVIRONMENT: "development",
  // One machine is one client address: 10 sends / 30 verifications an hour would stop the run
  // after a second. Maximum of the allowed range; still counted, in one ClientGuard object.
  IP_SENDS_PER_HOUR: "100000",
  IP_VERIFICATIONS_PER_HOUR: "100000",
  // Every send is a (console) SMS paid from the daily budget: maximum of the allowed range.
  DAILY_SMS_BUDGET: "100000000",
  // The number-range fraud rule judges a range once it has this many sends in the window; codes
  // that are still in flight when a run stops would otherwise tip small ranges. Still evaluated.
  PREFIX_MIN_SENDS: "100000",
  // The bench reads codes from the server's stdout: only the console provider prints them.
  SMS_PROVIDER: "console",
  // A bench cannot solve a Turnstile challenge; clears a key a developer's .dev.vars may set.
  TURNSTILE_SECRET_KEY: "",
};

/** A running `wrangler dev`, and what its output told so far. */
export interface Server {
  process: Child;
  base: string;
  port: number;
  /** The codes the console SMS provider printed. */
  codes: CodeLog;
  /** Lines that report a failed request or a wrangler error; the first 5 kept. */
  errors: { count: number; samples: string[] };
  /** wrangler dev's inspector (the Worker's isolate), for --profile. */
  inspectorPort: number;
}

export function wranglerInstalled(): boolean {
  return existsSync(WRANGLER);
}

export function wranglerVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, "node_modules/wrangler/package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

/**
 * The project's own pre-step for anything that starts the Worker: wrangler refuses a config
 * whose [assets] directory is missing (scripts/docs-assets.mjs, run by npm's pre-scripts).
 */
export async function prepareDocsAssets(): Promise<void> {
  const docsAssets = path.join(ROOT, "scripts/docs-assets.mjs");
  if (!existsSync(docsAssets)) return;
  const prep = spawn(process.execPath, [docsAssets], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const code = await new Promise<number | null>((resolve) => prep.on("exit", resolve));
  if (code !== 0) throw new BenchError(`scripts/docs-assets.mjs failed (exit ${code})`);
}

/** Builds the Worker once, as it would be deployed, into `bundleDir`; its size and makeup. */
export async function buildWorker(bundleDir: string, metafile: string, unminified = false): Promise<Bundle> {
  log(`bench: building the Worker (wrangler deploy --dry-run --outdir ${bundleDir}${unminified ? " --no-minify, for --profile" : ""})`);
  const args = ["deploy", "--dry-run", "--env=", "--outdir", bundleDir, "--metafile", metafile, ...(unminified ? ["--no-minify"] : [])];
  const dryRun = await runWrangler(args, "wrangler deploy --dry-run");
  return { ...bundleSize(bundleDir, dryRun), largestInputs: bundleInputs(metafile), minified: !unminified };
}

/** A fresh state directory, so no run sees another's users, counters or Durable Object state. */
export async function applyMigrations(persistDir: string): Promise<void> {
  log(`bench: applying D1 migrations to a fresh state directory (${persistDir})`);
  await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], "wrangler d1 migrations apply");
}

/**
 * Starts `wrangler dev --no-bundle` on the build (not src/, so an edit to src/ during the run
 * cannot reload the server under load, and the code measured is the code whose size is shown)
 * and waits until it answers GET /healthz.
 */
export async function startServer({
  entry,
  persistDir,
  port: wanted,
  logFile,
  startTimeout,
}: {
  entry: string;
  persistDir: string;
  port: number;
  logFile: string;
  startTimeout: number;
}): Promise<Server> {
  const port = wanted || (await freePort());
  const inspectorPort = await freePort();
  const base = `http://${HOST}:${port}`;
  const codes = new CodeLog();
  const errors: Server["errors"] = { count: 0, samples: [] };
  const varArgs = Object.entries(LOAD_TEST_VARS).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const devArgs = [
    "dev",
    "-c",
    "wrangler.toml",
    "--no-bundle",
    entry,
    "--ip",
    HOST,
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persistDir,
    "--show-interactive-dev-session=false",
    ...varArgs,
  ];
  log(
    `bench: starting wrangler dev on ${base} (${Object.entries(LOAD_TEST_VARS)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(", ")})`,
  );
  const child = startWrangler(devArgs, {
    name: "wrangler dev",
    logFile,
    onLine: (line, stream) => {
      if (line.includes('"sms.console"')) return codes.line(line);
      if (line.includes('"request.failed"') || line.includes("[wrangler:error]") || (stream === "err" && /\bERROR\b/.test(line))) {
        errors.count++;
        if (errors.samples.length < 5) errors.samples.push(line.slice(0, 300));
      }
      return false;
    },
  });
  const startedAt = performance.now();
  await waitUntilUp(base, child, startTimeout * 1000);
  log(`bench: server up after ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  return { process: child, base, port, codes, errors, inspectorPort };
}

/** Stops wrangler dev and everything in its process group (workerd, esbuild). */
export async function stopServer(server: Server): Promise<void> {
  await stop(server.process);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(base: string, server: Child, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (server.exited) throw new BenchError(`wrangler dev exited (${server.code ?? server.signal}) before it answered:\n${indent(server.tail.join("\n"))}`);
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new BenchError(`wrangler dev did not answer GET /healthz within ${timeoutMs / 1000} s:\n${indent(server.tail.join("\n"))}`);
}
