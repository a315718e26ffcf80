#!/usr/bin/env node
import { writeFileSync } from "node:fs";
/**
 * `npm run bench`: load test of the SMS sign-in flow against a local `wrangler dev`.
 *
 *   1. builds the Worker once with `wrangler deploy --dry-run --outdir <tmp>` and reports its size
 *      (raw and gzip, plus wrangler's own "Total Upload" line);
 *   2. applies the D1 migrations to a fresh `--persist-to <tmp>` directory, so no run sees
 *      another's users, counters or Durable Object state;
 *   3. starts `wrangler dev --no-bundle <that build>` on a free port of 127.0.0.1 with the default
 *      settings of wrangler.toml, except the abuse limits that refuse a load test from one machine
 *      (listed in LOAD_TEST_VARS, server.ts) — the build, not src/, so an edit to src/ during the
 *      run cannot reload the server under load, and the code measured is the code whose size is shown;
 *   4. drives sign-ins with autocannon: POST /v1/codes for a fresh number, the code read from the
 *      server's stdout (the console SMS provider prints it), then POST /v1/auth/sms-login;
 *   5. prints sign-ins per second, latency percentiles per step and per sign-in, failures by
 *      status, the CPU each process used (and workerd CPU per sign-in), and always stops the
 *      server (also on Ctrl-C and on errors).
 *
 * Traffic goes to 127.0.0.1 only. Nothing here asserts a time: it measures and prints.
 *
 * TypeScript run as is by Node 24 (the `node` devDependency strips the types), so erasable syntax
 * only and imports with their `.ts` extension; checked by `tsc -p scripts/bench/tsconfig.json`
 * with Node's types (the root tsconfig has the Workers' and leaves this folder out).
 *
 *   main.ts       this sequence, temp directory, cleanup on exit and on signals
 *   options.ts    CLI options, environment variables, help text
 *   server.ts     build, migrations, wrangler dev start/stop, the settings changed for the run
 *   processes.ts  wrangler child processes, each in its own process group
 *   driver.ts     warm-up, the autocannon load loop of the sign-in flow, the /healthz baseline
 *   codes.ts      codes read from the server's log;  phones.ts  the numbers signed in
 *   cpu.ts        CPU accounting from /proc;  report.ts  results and printing;  bundle.ts  its size
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { BenchError, log } from "./common.ts";
import { healthzBaseline, load, warmupSignIn } from "./driver.ts";
import { HELP, options, UsageError } from "./options.ts";
import { type Client, clientIp, phoneSource } from "./phones.ts";
import { stopAll } from "./processes.ts";
import { printProfile, startProfile } from "./profile.ts";
import { buildReport, printReport } from "./report.ts";
import { applyMigrations, buildWorker, prepareDocsAssets, startServer, stopServer, wranglerInstalled } from "./server.ts";

let tempDir: string | undefined;
let keepTemp = false;
let cleaning: Promise<void> | undefined;
async function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAll();
    if (tempDir && !keepTemp) await rm(tempDir, { recursive: true, force: true }).catch(() => {});
  })();
  return cleaning;
}

for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping the server…\n`);
    void cleanup().finally(() => process.exit(code));
  });
}

async function main(): Promise<void> {
  const opts = options();
  keepTemp = opts.keep;
  if (!wranglerInstalled()) throw new BenchError("wrangler is not installed: run `npm install` first");
  tempDir = await mkdtemp(path.join(os.tmpdir(), "edge-phone-auth-bench-"));
  const bundleDir = path.join(tempDir, "bundle");
  const persistDir = path.join(tempDir, "state");
  const serverLog = path.join(tempDir, "server.log");

  await prepareDocsAssets();
  // A profile is read against the unminified build, whose "// src/…" and "// node_modules/…"
  // comments say where each function comes from.
  const bundle = await buildWorker(bundleDir, path.join(tempDir, "bundle-meta.json"), opts.profile !== undefined);
  await applyMigrations(persistDir);
  const server = await startServer({
    entry: path.join(bundleDir, bundle.main),
    persistDir,
    port: opts.port,
    logFile: serverLog,
    startTimeout: opts.startTimeout,
  });

  const nextPhone = phoneSource(opts.ranges);
  let signInIndex = 0;
  const nextClient = (): Client => {
    const i = signInIndex++;
    return { phone: nextPhone(), ip: opts.clientIps > 1 ? clientIp(i % opts.clientIps) : undefined };
  };

  if (opts.warmup > 0) {
    log(`bench: warm-up, ${opts.warmup} sign-in(s) one by one (not measured)`);
    for (let i = 0; i < opts.warmup; i++) await warmupSignIn(server, nextClient());
  }

  const baseline = opts.baseline > 0 ? await healthzBaseline(server, opts) : undefined;

  log(`bench: load, ${opts.connections} connections for ${opts.duration} s`);
  const profiler = opts.profile ? await startProfile(server.inspectorPort) : undefined;
  const result = await load(server, opts, nextClient);
  if (profiler && opts.profile) {
    const profile = await profiler.stop();
    writeFileSync(path.resolve(opts.profile), JSON.stringify(profile));
    printProfile(profile, result.signIns.length, path.join(bundleDir, bundle.main));
    log(`bench: CPU profile written to ${opts.profile} (open it in Chrome DevTools or VS Code)`);
  }
  await stopServer(server);

  const report = buildReport(opts, result, bundle, server.errors, baseline);
  printReport(report);
  if (opts.json) {
    writeFileSync(path.resolve(opts.json), `${JSON.stringify(report, null, 2)}\n`);
    log(`bench: results written to ${opts.json}`);
  }
  if (opts.keep) log(`bench: kept ${tempDir} (server log: ${serverLog})`);
  if (result.signIns.length === 0) throw new BenchError("no sign-in succeeded during the load (see failures above and the server log with --keep)");
}

main()
  .then(() => cleanup())
  .catch(async (error: unknown) => {
    await cleanup();
    if (error instanceof UsageError) {
      process.stderr.write(`bench: ${error.message}\n\n${HELP}`);
      process.exit(2);
    }
    process.stderr.write(`bench: ${error instanceof BenchError ? error.message : ((error as Error | undefined)?.stack ?? error)}\n`);
    process.exit(1);
  });
