#!/usr/bin/env node
/**
 * `npm run bench`: load test of the SMS sign-in flow against a local `wrangler dev`.
 *
 *   1. builds the Worker once with `wrangler deploy --dry-run --outdir <tmp>` and reports its size
 *      (raw and gzip, plus wrangler's own "Total Upload" line);
 *   2. applies the D1 migrations to a fresh `--persist-to <tmp>` directory, so no run sees
 *      another's users, counters or Durable Object state;
 *   3. starts `wrangler dev --no-bundle <that build>` on a free port of 127.0.0.1 with the default
 *      settings of wrangler.toml, except the abuse limits that refuse a load test from one machine
 *      (listed in LOAD_TEST_VARS below) — the build, not src/, so an edit to src/ during the run
 *      cannot reload the server under load, and the code measured is the code whose size is shown;
 *   4. drives sign-ins with autocannon: POST /v1/codes for a fresh number, the code read from the
 *      server's stdout (the console SMS provider prints it), then POST /v1/auth/sms-login;
 *   5. prints sign-ins per second, latency percentiles per step and per sign-in, failures by
 *      status, and always stops the server (also on Ctrl-C and on errors).
 *
 * Traffic goes to 127.0.0.1 only. Nothing here asserts a time: it measures and prints.
 * Plain ESM JavaScript for Node 24 (the `node` devDependency), outside tsc's reach (no allowJs).
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import autocannon from "autocannon";
import { parsePhoneNumberFromString } from "libphonenumber-js/mobile";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const HOST = "127.0.0.1";
/** The server's port once chosen (the CPU report tells wrangler's proxy by it). */
let serverPort = 0;

/**
 * The only settings changed from wrangler.toml's defaults (src/config.ts gives names and ranges).
 * Everything else — code length and TTL, resend interval, per-phone caps, guess limits, session
 * TTL — keeps its default, so each request runs the same checks and writes as in development.
 */
const LOAD_TEST_VARS = {
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

// ---------------------------------------------------------------------------------------------
// Options

const HELP = `Usage: npm run bench [-- options]

Options (environment variable in brackets):
  --duration <s>        measured load time in seconds            [BENCH_DURATION]        default 20
  --connections <n>     concurrent HTTP connections (clients)    [BENCH_CONNECTIONS]     default 16
  --warmup <n>          sign-ins done one by one before measuring [BENCH_WARMUP]         default 5
  --ranges <n>          number ranges (+86 1xx xxxx) the phones are spread over
                        (one PhoneGuard Durable Object each)     [BENCH_RANGES]          default 1000
  --client-ips <n>      distinct CF-Connecting-IP values (198.18.0.0/15, a header only:
                        all traffic still goes to 127.0.0.1); 1 = the machine's own
                        address, as a real single client         [BENCH_CLIENT_IPS]      default 1
  --baseline <s>        first load GET /healthz (no storage) this long, as a floor
                        for comparison; 0 = skip                 [BENCH_BASELINE]        default 5
  --start-timeout <s>   give up if the server is not up by then  [BENCH_START_TIMEOUT]   default 90
  --request-timeout <s> per-request timeout                       [BENCH_REQUEST_TIMEOUT] default 10
  --port <n>            server port (0 = a free one)             [BENCH_PORT]            default 0
  --json <file>         also write the results as JSON
  --keep                keep the temp directory (build, D1/DO state, full server log)
  --help
`;

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      warmup: { type: "string" },
      ranges: { type: "string" },
      "client-ips": { type: "string" },
      baseline: { type: "string" },
      "start-timeout": { type: "string" },
      "request-timeout": { type: "string" },
      port: { type: "string" },
      json: { type: "string" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const num = (flag, env, fallback, min, max) => {
    const raw = values[flag] ?? process.env[env];
    const n = raw === undefined || raw === "" ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${flag} (${env}) must be an integer from ${min} to ${max}, got ${raw}`);
    return n;
  };
  return {
    duration: num("duration", "BENCH_DURATION", 20, 1, 3600),
    connections: num("connections", "BENCH_CONNECTIONS", 16, 1, 1000),
    warmup: num("warmup", "BENCH_WARMUP", 5, 0, 1000),
    ranges: num("ranges", "BENCH_RANGES", 1000, 1, 100000),
    clientIps: num("client-ips", "BENCH_CLIENT_IPS", 1, 1, 65536),
    baseline: num("baseline", "BENCH_BASELINE", 5, 0, 600),
    startTimeout: num("start-timeout", "BENCH_START_TIMEOUT", 90, 1, 3600),
    requestTimeout: num("request-timeout", "BENCH_REQUEST_TIMEOUT", 10, 1, 600),
    port: num("port", "BENCH_PORT", 0, 0, 65535),
    json: values.json,
    keep: values.keep,
  };
}

class UsageError extends Error {}
class BenchError extends Error {}

// ---------------------------------------------------------------------------------------------
// Child processes: each in its own process group, so the whole tree (wrangler → workerd) is
// stopped by group id, and only what this script started.

const children = new Set();

function startWrangler(args, { name, onLine, logFile }) {
  const child = spawn(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // No telemetry, and no fetch of the `Request.cf` placeholder from the internet (miniflare falls back to a built-in one).
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  const entry = { child, name, exited: false, code: null, signal: null, tail: [] };
  children.add(entry);
  const exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      entry.exited = true;
      entry.code = code;
      entry.signal = signal;
      resolve();
    });
    child.on("error", (error) => {
      entry.exited = true;
      entry.tail.push(`spawn failed: ${error.message}`);
      resolve();
    });
  });
  entry.exitedPromise = exited;
  const log = logFile ? createWriteStream(logFile) : undefined;
  for (const [stream, label] of [
    [child.stdout, "out"],
    [child.stderr, "err"],
  ]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on("line", (raw) => {
      const line = stripAnsi(raw);
      log?.write(`${label} ${line}\n`);
      if (onLine?.(line, label)) return;
      entry.tail.push(line);
      if (entry.tail.length > 60) entry.tail.shift();
    });
  }
  return entry;
}

async function run(args, name) {
  const entry = startWrangler(args, { name });
  const all = [];
  entry.child.stdout.on("data", (d) => all.push(d));
  entry.child.stderr.on("data", (d) => all.push(d));
  await entry.exitedPromise;
  killGroup(entry, "SIGKILL"); // anything wrangler left behind in its group (none expected)
  children.delete(entry);
  const output = stripAnsi(Buffer.concat(all).toString("utf8"));
  if (entry.code !== 0) throw new BenchError(`${name} failed (exit ${entry.code ?? entry.signal}):\n${indent(lastLines(output, 40))}`);
  return output;
}

function killGroup(entry, signal) {
  try {
    process.kill(-entry.child.pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

async function stop(entry) {
  if (!children.has(entry)) return;
  killGroup(entry, "SIGTERM");
  const timer = new Promise((resolve) => setTimeout(resolve, 5000).unref());
  await Promise.race([entry.exitedPromise, timer]);
  // workerd may outlive wrangler by a moment: the group is killed either way.
  killGroup(entry, "SIGKILL");
  children.delete(entry);
}

async function stopAll() {
  await Promise.all([...children].map(stop));
}

// A last resort if the process exits without the async cleanup (process.exit, a crash).
process.on("exit", () => {
  for (const entry of children) killGroup(entry, "SIGKILL");
});

let tempDir;
let keepTemp = false;
let cleaning;
async function cleanup() {
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
]) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping the server…\n`);
    cleanup().finally(() => process.exit(code));
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "");
const lastLines = (text, n) => text.split("\n").slice(-n).join("\n");
const indent = (text) =>
  text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summary(values) {
  const sorted = Float64Array.from(values).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    mean: sorted.length ? sum / sorted.length : NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : "-");
const kib = (bytes) => `${(bytes / 1024).toFixed(2)} KiB`;

function table(rows, header) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(all[0]), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Phone numbers: valid mainland mobiles, each used once, spread round-robin over `ranges` number
// ranges. A range (+86 + the first 7 national digits, src/phone.ts numberRange) keys one PhoneGuard
// Durable Object, so the count of ranges is the count of objects the run touches.

const MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189"];

function isValidMobile(e164) {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed?.isValid() || parsed.country !== "CN") return false;
  const type = parsed.getType();
  return type === "MOBILE" || type === "FIXED_LINE_OR_MOBILE";
}

function phoneSource(rangeCount) {
  const rand = (n) => Math.floor(Math.random() * n);
  const ranges = [];
  const seen = new Set();
  for (let tries = 0; ranges.length < rangeCount; tries++) {
    if (tries > rangeCount * 20 + 1000) throw new BenchError(`could not find ${rangeCount} valid number ranges`);
    const range = `+86${MOBILE_PREFIXES[rand(MOBILE_PREFIXES.length)]}${String(rand(10000)).padStart(4, "0")}`;
    if (seen.has(range) || !isValidMobile(`${range}0000`)) continue;
    seen.add(range);
    ranges.push({ range, next: rand(10000), used: 0 });
  }
  let i = 0;
  return () => {
    for (let tries = 0; tries < ranges.length * 2; tries++) {
      const r = ranges[i++ % ranges.length];
      if (r.used >= 10000) continue;
      const phone = `${r.range}${String(r.next).padStart(4, "0")}`;
      r.next = (r.next + 1) % 10000;
      r.used++;
      if (isValidMobile(phone)) return phone;
    }
    throw new BenchError("ran out of fresh phone numbers: raise --ranges");
  };
}

/** 198.18.0.0/15 (RFC 2544, benchmarking): used only as a header value, never as a destination. */
const clientIp = (i) => `198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 255}.${i & 255}`;

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc (Linux): who used the two cores during the load.

function processTree(rootPid) {
  const parents = new Map();
  let entries = [];
  try {
    entries = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      parents.set(Number(pid), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const tree = [rootPid];
  for (let k = 0; k < tree.length; k++) for (const [pid, ppid] of parents) if (ppid === tree[k] && !tree.includes(pid)) tree.push(pid);
  return tree.map((pid) => ({ pid, label: processLabel(pid) }));
}

/** wrangler dev runs two workerd processes: its proxy on the public port, and the Worker's runtime. */
function processLabel(pid) {
  let cmd = "";
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "?";
  }
  if (/\bworkerd\b/.test(cmd)) {
    return cmd.includes(`entry=${HOST}:${serverPort}`) ? "workerd: wrangler's proxy, on the port" : "workerd: the Worker, its Durable Objects, KV and D1 simulators";
  }
  if (/esbuild/.test(cmd)) return "esbuild (wrangler's, idle with --no-bundle)";
  if (/wrangler/.test(cmd)) return "wrangler (node: dev server, log relay)";
  return cmd.split(" ")[0] || "?";
}

function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
  } catch {
    return NaN;
  }
}

/** Busy clock ticks of the whole machine (all CPUs), from the first line of /proc/stat. */
function machineTicks() {
  try {
    const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal: all but idle and iowait is busy.
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return user + nice + system + irq + softirq + steal;
  } catch {
    return NaN;
  }
}

function cpuSnapshot(serverPid) {
  const procs = processTree(serverPid).map((p) => ({ ...p, ticks: cpuTicks(p.pid) }));
  return { at: performance.now(), self: process.cpuUsage(), procs, machine: machineTicks() };
}

function cpuReport(before, after) {
  const TICK_MS = 10; // USER_HZ is 100 on Linux
  const wall = after.at - before.at;
  const byLabel = new Map();
  for (const p of after.procs) {
    const b = before.procs.find((q) => q.pid === p.pid);
    const delta = (p.ticks - (b ? b.ticks : 0)) * TICK_MS;
    if (Number.isFinite(delta)) byLabel.set(p.label, (byLabel.get(p.label) ?? 0) + delta);
  }
  const self = process.cpuUsage(before.self);
  byLabel.set("this load generator (node, autocannon)", (self.user + self.system) / 1000);
  const ours = [...byLabel.values()].reduce((a, b) => a + b, 0);
  const machine = (after.machine - before.machine) * TICK_MS;
  if (Number.isFinite(machine)) byLabel.set("other processes on the machine (not this benchmark)", Math.max(0, machine - ours));
  return [...byLabel].filter(([, cpuMs]) => cpuMs / wall >= 0.005).map(([name, cpuMs]) => ({ name, cores: cpuMs / wall }));
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const opts = options();
  keepTemp = opts.keep;
  if (!existsSync(WRANGLER)) throw new BenchError("wrangler is not installed: run `npm install` first");
  tempDir = await mkdtemp(path.join(os.tmpdir(), "edge-phone-auth-bench-"));
  const bundleDir = path.join(tempDir, "bundle");
  const persistDir = path.join(tempDir, "state");
  const serverLog = path.join(tempDir, "server.log");

  // The project's own pre-step for anything that starts the Worker: wrangler refuses a config
  // whose [assets] directory is missing (scripts/docs-assets.ts, run by npm's pre-scripts).
  const docsAssets = path.join(ROOT, "scripts/docs-assets.ts");
  if (existsSync(docsAssets)) {
    const prep = spawn(process.execPath, [docsAssets], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    const code = await new Promise((resolve) => prep.on("exit", resolve));
    if (code !== 0) throw new BenchError(`scripts/docs-assets.ts failed (exit ${code})`);
  }

  log(`bench: building the Worker (wrangler deploy --dry-run --outdir ${bundleDir})`);
  const metafile = path.join(tempDir, "bundle-meta.json");
  const dryRun = await run(["deploy", "--dry-run", "--env=", "--outdir", bundleDir, "--metafile", metafile], "wrangler deploy --dry-run");
  const bundle = { ...bundleSize(bundleDir, dryRun), largestInputs: bundleInputs(metafile) };

  log(`bench: applying D1 migrations to a fresh state directory (${persistDir})`);
  await run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], "wrangler d1 migrations apply");

  const port = opts.port || (await freePort());
  serverPort = port;
  const inspectorPort = await freePort();
  const base = `http://${HOST}:${port}`;
  const codes = new CodeLog();
  const serverErrors = { count: 0, samples: [] };
  const varArgs = Object.entries(LOAD_TEST_VARS).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const devArgs = ["dev", "-c", "wrangler.toml", "--no-bundle", path.join(bundleDir, bundle.main), "--ip", HOST, "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", persistDir, "--show-interactive-dev-session=false", ...varArgs];
  log(`bench: starting wrangler dev on ${base} (${Object.entries(LOAD_TEST_VARS).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")})`);
  const server = startWrangler(devArgs, {
    name: "wrangler dev",
    logFile: serverLog,
    onLine: (line, stream) => {
      if (line.includes('"sms.console"')) return codes.line(line);
      if (line.includes('"request.failed"') || line.includes("[wrangler:error]") || (stream === "err" && /\bERROR\b/.test(line))) {
        serverErrors.count++;
        if (serverErrors.samples.length < 5) serverErrors.samples.push(line.slice(0, 300));
      }
      return false;
    },
  });
  const startedAt = performance.now();
  await waitUntilUp(base, server, opts.startTimeout * 1000);
  log(`bench: server up after ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);

  const nextPhone = phoneSource(opts.ranges);
  let signInIndex = 0;
  const nextClient = () => {
    const i = signInIndex++;
    return { phone: nextPhone(), ip: opts.clientIps > 1 ? clientIp(i % opts.clientIps) : undefined };
  };

  if (opts.warmup > 0) {
    log(`bench: warm-up, ${opts.warmup} sign-in(s) one by one (not measured)`);
    for (let i = 0; i < opts.warmup; i++) await warmupSignIn(base, nextClient(), codes, server);
  }

  const baseline = opts.baseline > 0 ? await healthzBaseline(base, opts, server) : undefined;

  log(`bench: load, ${opts.connections} connections for ${opts.duration} s`);
  const result = await load(base, opts, nextClient, codes, server);
  await stop(server);

  const report = buildReport(opts, result, bundle, serverErrors, baseline);
  printReport(report);
  if (opts.json) {
    writeFileSync(path.resolve(opts.json), `${JSON.stringify(report, null, 2)}\n`);
    log(`bench: results written to ${opts.json}`);
  }
  if (opts.keep) log(`bench: kept ${tempDir} (server log: ${serverLog})`);
  if (result.signIns.length === 0) throw new BenchError("no sign-in succeeded during the load (see failures above and the server log with --keep)");
}

function log(message) {
  process.stderr.write(`${message}\n`);
}

function bundleSize(dir, output) {
  const files = readdirSync(dir).filter((f) => /\.(m?js|cjs|wasm|bin|txt|html)$/.test(f) && f !== "README.md");
  const modules = files.filter((f) => !f.endsWith(".map"));
  if (modules.length === 0) throw new BenchError(`wrangler deploy --dry-run wrote no module to ${dir}`);
  const main = modules.find((f) => /^index\.m?js$/.test(f)) ?? modules.find((f) => /\.m?js$/.test(f));
  const contents = modules.map((f) => readFileSync(path.join(dir, f)));
  const raw = contents.reduce((a, b) => a + b.length, 0);
  // Same measure as wrangler's "Total Upload": gzip (zlib's default level) of the modules in one stream.
  const gzip = gzipSync(Buffer.concat(contents)).length;
  const match = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(output);
  return {
    main,
    files: modules.map((f) => ({ file: f, bytes: statSync(path.join(dir, f)).size })),
    rawBytes: raw,
    gzipBytes: gzip,
    wrangler: match ? { totalUploadKiB: Number(match[1]), gzipKiB: Number(match[2]) } : undefined,
  };
}

/** Bytes each package (or src/) contributes to the bundle, from esbuild's metafile; largest first. */
function bundleInputs(metafile) {
  let meta;
  try {
    meta = JSON.parse(readFileSync(metafile, "utf8"));
  } catch {
    return [];
  }
  const byOwner = new Map();
  for (const output of Object.values(meta.outputs ?? {})) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs ?? {})) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input.replaceAll("\\", "/"));
      const owner = pkg ? pkg[1] : input.startsWith("src/") ? "src/ (this project)" : "other (wrangler shims)";
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + bytesInOutput);
    }
  }
  return [...byOwner]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([owner, bytes]) => ({ owner, bytes }));
}

async function waitUntilUp(base, server, timeoutMs) {
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

/** Codes as the console SMS provider prints them on the server's stdout, by phone. */
class CodeLog {
  constructor() {
    this.listeners = new Map();
    this.early = new Map();
    this.lines = 0;
  }
  line(line) {
    let event;
    try {
      event = JSON.parse(line.slice(line.indexOf("{")));
    } catch {
      return false;
    }
    if (event.event !== "sms.console" || typeof event.to !== "string" || typeof event.code !== "string") return false;
    this.lines++;
    const at = performance.now();
    const listener = this.listeners.get(event.to);
    if (listener) {
      this.listeners.delete(event.to);
      listener(event.code, at);
    } else {
      this.early.set(event.to, { code: event.code, at });
    }
    return true;
  }
  /** Calls `fn(code, at)` once the code for `phone` is seen (at once if it already was). */
  on(phone, fn) {
    const seen = this.early.get(phone);
    if (seen) {
      this.early.delete(phone);
      fn(seen.code, seen.at);
    } else {
      this.listeners.set(phone, fn);
    }
  }
  forget(phone) {
    this.listeners.delete(phone);
    this.early.delete(phone);
  }
}

function headersFor(client) {
  const headers = { "content-type": "application/json" };
  if (client.ip) headers["cf-connecting-ip"] = client.ip;
  return headers;
}

async function warmupSignIn(base, client, codes, server) {
  const codePromise = new Promise((resolve) => codes.on(client.phone, resolve));
  const sent = await fetch(`${base}/v1/codes`, { method: "POST", headers: headersFor(client), body: JSON.stringify({ phone: client.phone, purpose: "login" }), signal: AbortSignal.timeout(30000) });
  const sentBody = await sent.text();
  if (sent.status !== 202) throw new BenchError(`warm-up: POST /v1/codes answered ${sent.status} ${sentBody.slice(0, 300)}\n${indent(server.tail.join("\n"))}`);
  const code = await Promise.race([codePromise, sleep(10000).then(() => undefined)]);
  if (!code) throw new BenchError(`warm-up: no {"event":"sms.console"} line for ${client.phone} on the server's stdout within 10 s:\n${indent(server.tail.join("\n"))}`);
  const login = await fetch(`${base}/v1/auth/sms-login`, { method: "POST", headers: headersFor(client), body: JSON.stringify({ phone: client.phone, code }), signal: AbortSignal.timeout(30000) });
  const loginBody = await login.text();
  if (login.status !== 200) throw new BenchError(`warm-up: POST /v1/auth/sms-login answered ${login.status} ${loginBody.slice(0, 300)}\n${indent(server.tail.join("\n"))}`);
}

/**
 * The load. Each autocannon connection runs one request after another; before each, this picks
 * the step: a sign-in whose code has arrived (202 received and the code seen in the log) gets
 * its POST /v1/auth/sms-login, oldest first; if none is ready, a fresh number gets its
 * POST /v1/codes. So no connection ever waits for a code, and every code is used as soon as a
 * connection is free.
 */
async function load(base, opts, nextClient, codes, server) {
  const ready = [];
  const inFlight = new Map(); // phone → sign-in
  const sends = { ok: [], failures: new Map() };
  const logins = { ok: [], failures: new Map() };
  const signIns = [];
  const codeDelay = [];
  let connErrors = 0;
  const completions = [];
  let newUsers = 0;

  const fail = (bucket, status, body) => {
    let code = "";
    try {
      code = JSON.parse(body)?.error?.code ?? "";
    } catch {
      // not JSON
    }
    const key = `${status}${code ? ` ${code}` : ""}`;
    bucket.failures.set(key, (bucket.failures.get(key) ?? 0) + 1);
  };

  const markReady = (s) => {
    if (s.sendDone && s.code !== undefined && !s.queued) {
      s.queued = true;
      ready.push(s);
    }
  };

  const request = {
    method: "POST",
    setupRequest(req, context) {
      const s = ready.shift();
      if (s) {
        context.kind = "login";
        context.signIn = s;
        s.loginPickedAt = performance.now();
        return { ...req, path: "/v1/auth/sms-login", headers: { ...req.headers, ...headersFor(s.client) }, body: JSON.stringify({ phone: s.client.phone, code: s.code }) };
      }
      const client = nextClient();
      const signIn = { client, code: undefined, sendDone: false, queued: false };
      inFlight.set(client.phone, signIn);
      codes.on(client.phone, (code, at) => {
        signIn.code = code;
        signIn.codeAt = at;
        markReady(signIn);
      });
      context.kind = "send";
      context.signIn = signIn;
      return { ...req, path: "/v1/codes", headers: { ...req.headers, ...headersFor(client) }, body: JSON.stringify({ phone: client.phone, purpose: "login" }) };
    },
    onResponse(status, body, context) {
      context.status = status;
      context.body = body;
    },
  };

  const instance = autocannon({
    url: base,
    connections: opts.connections,
    duration: opts.duration,
    pipelining: 1,
    timeout: opts.requestTimeout,
    requests: [request],
  });

  instance.on("response", (client, status, _bytes, responseMs) => {
    const context = client.requestIterator.context;
    const s = context.signIn;
    const now = performance.now();
    if (!s) return;
    if (context.kind === "send") {
      s.sendStart = now - responseMs;
      s.sendMs = responseMs;
      if (status === 202) {
        sends.ok.push(responseMs);
        s.sendDone = true;
        markReady(s);
      } else {
        fail(sends, status, context.body);
        inFlight.delete(s.client.phone);
        codes.forget(s.client.phone);
      }
    } else if (context.kind === "login") {
      inFlight.delete(s.client.phone);
      if (status === 200) {
        logins.ok.push(responseMs);
        try {
          if (JSON.parse(context.body).isNewUser === true) newUsers++;
        } catch {
          // counted as a sign-in all the same: the status says so
        }
        completions.push(now);
        signIns.push({ serviceMs: s.sendMs + responseMs, wallMs: now - s.sendStart, waitMs: now - responseMs - Math.max(s.sendStart + s.sendMs, s.codeAt) });
        codeDelay.push(s.codeAt - s.sendStart);
      } else {
        fail(logins, status, context.body);
      }
    }
  });
  instance.on("reqError", () => {
    connErrors++;
  });

  let cpuBefore;
  instance.on("start", () => {
    cpuBefore = cpuSnapshot(server.child.pid);
  });
  const loadAverageBefore = os.loadavg().map((x) => +x.toFixed(2));
  const startedAt = performance.now();
  const result = await instance; // autocannon's tracker is also the run's promise
  const elapsedMs = performance.now() - startedAt;
  const cpu = cpuBefore ? cpuReport(cpuBefore, cpuSnapshot(server.child.pid)) : [];
  if (server.exited) throw new BenchError(`wrangler dev exited during the load (${server.code ?? server.signal}):\n${indent(server.tail.join("\n"))}`);

  let waitingForCode = 0;
  for (const s of inFlight.values()) if (!s.queued) waitingForCode++;
  return { elapsedMs, loadAverageBefore, cpu, sends, logins, signIns, codeDelay, completions, startedAt, connErrors, newUsers, unfinished: inFlight.size, unfinishedWaitingForCode: waitingForCode, autocannon: result };
}

/** GET /healthz under the same connections: the request path with no binding call at all. */
async function healthzBaseline(base, opts, server) {
  log(`bench: baseline, GET /healthz with ${opts.connections} connections for ${opts.baseline} s`);
  const instance = autocannon({ url: `${base}/healthz`, connections: opts.connections, duration: opts.baseline, pipelining: 1, timeout: opts.requestTimeout });
  let cpuBefore;
  instance.on("start", () => {
    cpuBefore = cpuSnapshot(server.child.pid);
  });
  const result = await instance;
  const cpu = cpuBefore ? cpuReport(cpuBefore, cpuSnapshot(server.child.pid)) : [];
  if (server.exited) throw new BenchError(`wrangler dev exited during the baseline (${server.code ?? server.signal}):\n${indent(server.tail.join("\n"))}`);
  const l = result.latency;
  return {
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    requestsPerSecond: +(result.requests.total / result.duration).toFixed(1),
    latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max, mean: l.mean },
    cpu,
  };
}

function buildReport(opts, r, bundle, serverErrors, baseline) {
  const seconds = r.elapsedMs / 1000;
  const perSecond = [];
  for (const t of r.completions) {
    const i = Math.floor((t - r.startedAt) / 1000);
    if (i >= 0 && i < Math.floor(seconds)) perSecond[i] = (perSecond[i] ?? 0) + 1;
  }
  for (let i = 0; i < Math.floor(seconds); i++) perSecond[i] ??= 0;
  const sendTotal = r.sends.ok.length + [...r.sends.failures.values()].reduce((a, b) => a + b, 0);
  const loginTotal = r.logins.ok.length + [...r.logins.failures.values()].reduce((a, b) => a + b, 0);
  return {
    date: new Date().toISOString(),
    machine: { loadAverageBefore: r.loadAverageBefore, cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model, memGiB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${os.type()} ${os.release()}`, wrangler: wranglerVersion() },
    options: { duration: opts.duration, connections: opts.connections, warmup: opts.warmup, ranges: opts.ranges, clientIps: opts.clientIps, vars: LOAD_TEST_VARS },
    elapsedSeconds: +seconds.toFixed(2),
    signIns: r.signIns.length,
    signInsPerSecond: +(r.signIns.length / seconds).toFixed(1),
    signInsPerSecondSeries: perSecond,
    newUsers: r.newUsers,
    requests: { sends: sendTotal, logins: loginTotal, perSecond: +((sendTotal + loginTotal) / seconds).toFixed(1) },
    latencyMs: {
      "POST /v1/codes (202)": summary(r.sends.ok),
      "POST /v1/auth/sms-login (200)": summary(r.logins.ok),
      "sign-in: send + login": summary(r.signIns.map((s) => s.serviceMs)),
      "sign-in: wall clock": summary(r.signIns.map((s) => s.wallMs)),
      "code in the log after send start": summary(r.codeDelay),
      "code ready → login sent": summary(r.signIns.map((s) => s.waitMs)),
    },
    failures: {
      "POST /v1/codes": Object.fromEntries(r.sends.failures),
      "POST /v1/auth/sms-login": Object.fromEntries(r.logins.failures),
      "timeouts / connection errors": r.connErrors,
    },
    unfinishedAtStop: { signIns: r.unfinished, waitingForCode: r.unfinishedWaitingForCode },
    serverErrorLines: serverErrors.count,
    serverErrorSamples: serverErrors.samples,
    cpu: r.cpu ?? [],
    workerdCpuMsPerSignIn: workerdMsPer(r.cpu, r.signIns.length / seconds),
    baseline: baseline && { ...baseline, workerdCpuMsPerRequest: workerdMsPer(baseline.cpu, baseline.requestsPerSecond) },
    bundle,
  };
}

/** CPU milliseconds of both workerd processes per unit of work. */
function workerdMsPer(cpu, perSecond) {
  const cores = (cpu ?? []).filter((c) => c.name.startsWith("workerd")).reduce((a, c) => a + c.cores, 0);
  return cores > 0 && perSecond > 0 ? +((cores * 1000) / perSecond).toFixed(2) : undefined;
}

function wranglerVersion() {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, "node_modules/wrangler/package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}

function printReport(rep) {
  const out = [];
  const m = rep.machine;
  out.push("");
  out.push(`SMS sign-in benchmark — ${rep.date}`);
  out.push(`machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memGiB} GiB, ${m.platform}, node ${m.node}, wrangler ${m.wrangler}`);
  out.push(`load average before the run (1/5/15 min): ${m.loadAverageBefore.join(" ")}`);
  out.push(`load: ${rep.options.connections} connections, ${rep.elapsedSeconds} s, phones over ${rep.options.ranges} number ranges, ${rep.options.clientIps} client address(es), warm-up ${rep.options.warmup} sign-in(s)`);
  out.push("");
  out.push(`sign-ins:          ${rep.signIns} (${rep.newUsers} new users)`);
  out.push(`sign-ins/second:   ${rep.signInsPerSecond}   per second: ${rep.signInsPerSecondSeries.join(" ")}`);
  out.push(`requests/second:   ${rep.requests.perSecond} (${rep.requests.sends} POST /v1/codes, ${rep.requests.logins} POST /v1/auth/sms-login)`);
  out.push("");
  out.push("latency (ms)");
  out.push(
    table(
      Object.entries(rep.latencyMs).map(([name, s]) => [name, s.n, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), ms(s.mean)]),
      ["", "n", "p50", "p90", "p99", "max", "mean"],
    ),
  );
  out.push("  send + login: the two requests' own latencies added; wall clock: from sending POST /v1/codes to the");
  out.push("  sign-in's answer, including waiting for the code line and for a free connection.");
  out.push("");
  const f = rep.failures;
  const failures = [
    ...Object.entries(f["POST /v1/codes"]).map(([k, n]) => `  POST /v1/codes ${k}: ${n}`),
    ...Object.entries(f["POST /v1/auth/sms-login"]).map(([k, n]) => `  POST /v1/auth/sms-login ${k}: ${n}`),
  ];
  if (f["timeouts / connection errors"]) failures.push(`  timeouts / connection errors: ${f["timeouts / connection errors"]}`);
  out.push(failures.length ? "failures" : "failures: none");
  out.push(...failures);
  out.push(`unfinished when the load stopped: ${rep.unfinishedAtStop.signIns} sign-in(s) (${rep.unfinishedAtStop.waitingForCode} still waiting for their code); not failures`);
  out.push(`server error lines: ${rep.serverErrorLines}`);
  for (const s of rep.serverErrorSamples) out.push(`  ${s}`);
  if (rep.cpu.length) {
    out.push("");
    out.push(`CPU during the load (cores busy, of ${m.cpus}):`);
    for (const c of rep.cpu) out.push(`  ${c.cores.toFixed(2)}  ${c.name}`);
    if (rep.workerdCpuMsPerSignIn !== undefined) out.push(`  workerd CPU (both processes) per sign-in: ${rep.workerdCpuMsPerSignIn} ms`);
  }
  const bl = rep.baseline;
  if (bl) {
    out.push("");
    out.push(`baseline, GET /healthz (no binding calls), ${rep.options.connections} connections: ${bl.requestsPerSecond} requests/s, latency p50 ${ms(bl.latencyMs.p50)} / p90 ${ms(bl.latencyMs.p90)} / p99 ${ms(bl.latencyMs.p99)} ms`);
    const extra = [bl.workerdCpuMsPerRequest !== undefined ? `workerd CPU (both processes) per request: ${bl.workerdCpuMsPerRequest} ms` : "", bl.non2xx || bl.errors ? `non-2xx ${bl.non2xx}, errors ${bl.errors}` : ""].filter(Boolean);
    if (extra.length) out.push(`  ${extra.join("; ")}`);
  }
  const b = rep.bundle;
  out.push("");
  out.push(`Worker bundle (wrangler deploy --dry-run): ${kib(b.rawBytes)} raw, ${kib(b.gzipBytes)} gzip (${b.files.map((x) => x.file).join(", ")})`);
  if (b.wrangler) out.push(`  wrangler: Total Upload: ${b.wrangler.totalUploadKiB} KiB / gzip: ${b.wrangler.gzipKiB} KiB`);
  if (b.largestInputs.length) out.push(`  largest parts (raw, before gzip): ${b.largestInputs.map((x) => `${x.owner} ${kib(x.bytes)}`).join(", ")}`);
  out.push("");
  process.stdout.write(`${out.join("\n")}\n`);
}

main()
  .then(() => cleanup())
  .catch(async (error) => {
    await cleanup();
    if (error instanceof UsageError) {
      process.stderr.write(`bench: ${error.message}\n\n${HELP}`);
      process.exit(2);
    }
    process.stderr.write(`bench: ${error instanceof BenchError ? error.message : (error?.stack ?? error)}\n`);
    process.exit(1);
  });
