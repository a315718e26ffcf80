/** The results: gathered into one report (also the --json file) and printed. */
import os from "node:os";
import type { Bundle } from "./bundle.ts";
import { workerdMsPer } from "./cpu.ts";
import type { Baseline, LoadResult } from "./driver.ts";
import type { Options } from "./options.ts";
import { LOAD_TEST_VARS, type Server, wranglerVersion } from "./server.ts";

interface Summary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summary(values: number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    mean: sorted.length ? sum / sorted.length : NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
  };
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : "-");
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KiB`;

function table(rows: (string | number)[][], header: string[]): string {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(all[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

export type Report = ReturnType<typeof buildReport>;

export function buildReport(opts: Options, r: LoadResult, bundle: Bundle, serverErrors: Server["errors"], baseline: Baseline | undefined) {
  const seconds = r.elapsedMs / 1000;
  const perSecond: number[] = [];
  for (const t of r.completions) {
    const i = Math.floor((t - r.startedAt) / 1000);
    if (i >= 0 && i < Math.floor(seconds)) perSecond[i] = (perSecond[i] ?? 0) + 1;
  }
  for (let i = 0; i < Math.floor(seconds); i++) perSecond[i] ??= 0;
  const sendTotal = r.sends.ok.length + [...r.sends.failures.values()].reduce((a, b) => a + b, 0);
  const loginTotal = r.logins.ok.length + [...r.logins.failures.values()].reduce((a, b) => a + b, 0);
  return {
    date: new Date().toISOString(),
    machine: {
      loadAverageBefore: r.loadAverageBefore,
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model,
      memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
      node: process.version,
      platform: `${os.type()} ${os.release()}`,
      wrangler: wranglerVersion(),
    },
    options: {
      duration: opts.duration,
      connections: opts.connections,
      warmup: opts.warmup,
      ranges: opts.ranges,
      clientIps: opts.clientIps,
      vars: LOAD_TEST_VARS,
    },
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
    cpu: r.cpu,
    // CPU ms of all workerd processes per completed sign-in, over the measured window (cpu.ts).
    workerdCpuMsPerSignIn: workerdMsPer(r.cpu, r.signIns.length / seconds),
    baseline: baseline && { ...baseline, workerdCpuMsPerRequest: workerdMsPer(baseline.cpu, baseline.requestsPerSecond) },
    bundle,
  };
}

export function printReport(rep: Report): void {
  const out: string[] = [];
  const m = rep.machine;
  out.push("");
  out.push(`SMS sign-in benchmark — ${rep.date}`);
  out.push(`machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memGiB} GiB, ${m.platform}, node ${m.node}, wrangler ${m.wrangler}`);
  out.push(`load average before the run (1/5/15 min): ${m.loadAverageBefore.join(" ")}`);
  out.push(
    `load: ${rep.options.connections} connections, ${rep.elapsedSeconds} s, phones over ${rep.options.ranges} number ranges, ${rep.options.clientIps} client address(es), warm-up ${rep.options.warmup} sign-in(s)`,
  );
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
  out.push(
    `unfinished when the load stopped: ${rep.unfinishedAtStop.signIns} sign-in(s) (${rep.unfinishedAtStop.waitingForCode} still waiting for their code); not failures`,
  );
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
    out.push(
      `baseline, GET /healthz (no binding calls), ${rep.options.connections} connections: ${bl.requestsPerSecond} requests/s, latency p50 ${ms(bl.latencyMs.p50)} / p90 ${ms(bl.latencyMs.p90)} / p99 ${ms(bl.latencyMs.p99)} ms`,
    );
    const extra = [
      bl.workerdCpuMsPerRequest !== undefined ? `workerd CPU (both processes) per request: ${bl.workerdCpuMsPerRequest} ms` : "",
      bl.non2xx || bl.errors ? `non-2xx ${bl.non2xx}, errors ${bl.errors}` : "",
    ].filter(Boolean);
    if (extra.length) out.push(`  ${extra.join("; ")}`);
  }
  const b = rep.bundle;
  out.push("");
  const build = b.minified ? "wrangler deploy --dry-run" : "wrangler deploy --dry-run --no-minify, for --profile: not the size that deploys";
  out.push(`Worker bundle (${build}): ${kib(b.rawBytes)} raw, ${kib(b.gzipBytes)} gzip (${b.files.map((x) => x.file).join(", ")})`);
  if (b.wrangler) out.push(`  wrangler: Total Upload: ${b.wrangler.totalUploadKiB} KiB / gzip: ${b.wrangler.gzipKiB} KiB`);
  if (b.largestInputs.length) out.push(`  largest parts (raw, before gzip): ${b.largestInputs.map((x) => `${x.owner} ${kib(x.bytes)}`).join(", ")}`);
  out.push("");
  process.stdout.write(`${out.join("\n")}\n`);
}
