/**
 * A local `wrangler dev` for the Node-side tests (browser pages, JWKS): started on free loopback
 * ports with a fresh --persist-to folder, awaited until it answers, and stopped with everything it
 * started (wrangler and its workerd share the process group we give it).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const READY_TIMEOUT_MS = 90_000;

export interface DevServer {
  /** http://127.0.0.1:<port> */
  base: string;
  /** Everything wrangler printed so far: for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

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

/**
 * Starts `wrangler dev` with ENVIRONMENT=development plus `vars`. `migrate`: apply the D1
 * migrations to the fresh local database first, as `npm run dev` does.
 */
export async function startDevServer(options: { vars?: Record<string, string>; migrate?: boolean; label: string }): Promise<DevServer> {
  const persist = mkdtempSync(join(tmpdir(), `${options.label}-wrangler-`));
  // The Node running this test (24, from the `node` devDependency), whatever `node` is on PATH.
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };
  if (options.migrate) {
    const migrate = spawn(process.execPath, [WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], {
      cwd: ROOT,
      stdio: "ignore",
      env: { ...env, CI: "1" },
    });
    assert.equal(await new Promise((done) => migrate.once("exit", done)), 0, "wrangler d1 migrations apply failed");
  }
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const vars = { ENVIRONMENT: "development", ...options.vars };
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", persist];
  args.push("--show-interactive-dev-session=false", ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]));
  const wrangler: ChildProcess = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env });
  let log = "";
  wrangler.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  wrangler.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));

  const stop = async () => {
    if (wrangler.pid && wrangler.exitCode === null && wrangler.signalCode === null) {
      const exited = new Promise<void>((done) => wrangler.once("exit", () => done()));
      const signal = (name: NodeJS.Signals) => {
        try {
          process.kill(-wrangler.pid!, name);
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
    rmSync(persist, { recursive: true, force: true });
  };

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (wrangler.exitCode !== null) {
      await stop();
      assert.fail(`wrangler dev exited with ${wrangler.exitCode}:\n${log}`);
    }
    try {
      // Any answer means the Worker is up (/healthz may be 503 with a provider misconfigured).
      await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      assert.fail(`wrangler dev was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${log}`);
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  return { base, log: () => log, stop };
}

const scratch: string[] = [];

/** A temporary folder (a browser profile …) that removeScratchDirs() deletes after the tests. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

export function removeScratchDirs(): void {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
}
