/** The load: sign-ins (and the GET /healthz baseline) driven with autocannon against the server. */
import os from "node:os";
import autocannon, { type Context, type Result } from "autocannon";
import { BenchError, indent, log, sleep } from "./common.ts";
import { type CpuShare, type CpuSnapshot, cpuReport, cpuSnapshot } from "./cpu.ts";
import type { Options } from "./options.ts";
import type { Client } from "./phones.ts";
import type { Server } from "./server.ts";

/** One sign-in in flight: its send, its code once seen in the log, then its login. */
interface SignIn {
  client: Client;
  code: string | undefined;
  /** When the code line was read (performance.now()). */
  codeAt: number;
  sendDone: boolean;
  /** In `ready`, or taken from it. */
  queued: boolean;
  sendStart: number;
  sendMs: number;
  loginPickedAt: number;
}

/** What setupRequest leaves for the response handler (autocannon's per-request context). */
interface StepContext {
  kind?: "send" | "login";
  signIn?: SignIn;
  status?: number;
  body?: string;
}

/** Answers that were not the expected status, by "status error.code". */
export interface Step {
  ok: number[];
  failures: Map<string, number>;
}

export interface LoadResult {
  elapsedMs: number;
  loadAverageBefore: number[];
  cpu: CpuShare[];
  sends: Step;
  logins: Step;
  signIns: { serviceMs: number; wallMs: number; waitMs: number }[];
  codeDelay: number[];
  /** When each sign-in completed (performance.now()). */
  completions: number[];
  startedAt: number;
  connErrors: number;
  newUsers: number;
  unfinished: number;
  unfinishedWaitingForCode: number;
  autocannon: Result;
}

export interface Baseline {
  requests: number;
  non2xx: number;
  errors: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  cpu: CpuShare[];
}

function headersFor(client: Client): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (client.ip) headers["cf-connecting-ip"] = client.ip;
  return headers;
}

/** One sign-in on its own, checked at each step: a failure stops the run with the server's last lines. */
export async function warmupSignIn(server: Server, client: Client): Promise<void> {
  const { base, codes, process: wrangler } = server;
  const codePromise = new Promise<string>((resolve) => codes.on(client.phone, resolve));
  const sent = await fetch(`${base}/v1/codes`, {
    method: "POST",
    headers: headersFor(client),
    body: JSON.stringify({ phone: client.phone, purpose: "login" }),
    signal: AbortSignal.timeout(30000),
  });
  const sentBody = await sent.text();
  if (sent.status !== 202)
    throw new BenchError(`warm-up: POST /v1/codes answered ${sent.status} ${sentBody.slice(0, 300)}\n${indent(wrangler.tail.join("\n"))}`);
  const code = await Promise.race([codePromise, sleep(10000).then(() => undefined)]);
  if (!code)
    throw new BenchError(
      `warm-up: no {"event":"sms.console"} line for ${client.phone} on the server's stdout within 10 s:\n${indent(wrangler.tail.join("\n"))}`,
    );
  const login = await fetch(`${base}/v1/auth/sms-login`, {
    method: "POST",
    headers: headersFor(client),
    body: JSON.stringify({ phone: client.phone, code }),
    signal: AbortSignal.timeout(30000),
  });
  const loginBody = await login.text();
  if (login.status !== 200)
    throw new BenchError(`warm-up: POST /v1/auth/sms-login answered ${login.status} ${loginBody.slice(0, 300)}\n${indent(wrangler.tail.join("\n"))}`);
}

/**
 * The load. Each autocannon connection runs one request after another; before each, this picks
 * the step: a sign-in whose code has arrived (202 received and the code seen in the log) gets
 * its POST /v1/auth/sms-login, oldest first; if none is ready, a fresh number gets its
 * POST /v1/codes. So no connection ever waits for a code, and every code is used as soon as a
 * connection is free.
 */
export async function load(server: Server, opts: Options, nextClient: () => Client): Promise<LoadResult> {
  const { base, codes, process: wrangler } = server;
  const ready: SignIn[] = [];
  const inFlight = new Map<string, SignIn>(); // phone → sign-in
  const sends: Step = { ok: [], failures: new Map() };
  const logins: Step = { ok: [], failures: new Map() };
  const signIns: LoadResult["signIns"] = [];
  const codeDelay: number[] = [];
  let connErrors = 0;
  const completions: number[] = [];
  let newUsers = 0;

  const fail = (bucket: Step, status: number, body: string | undefined) => {
    let code = "";
    try {
      code = (JSON.parse(body ?? "") as { error?: { code?: string } } | null)?.error?.code ?? "";
    } catch {
      // not JSON
    }
    const key = `${status}${code ? ` ${code}` : ""}`;
    bucket.failures.set(key, (bucket.failures.get(key) ?? 0) + 1);
  };

  const markReady = (s: SignIn) => {
    if (s.sendDone && s.code !== undefined && !s.queued) {
      s.queued = true;
      ready.push(s);
    }
  };

  const instance = autocannon({
    url: base,
    connections: opts.connections,
    duration: opts.duration,
    pipelining: 1,
    timeout: opts.requestTimeout,
    requests: [
      {
        method: "POST",
        setupRequest(req, ctx) {
          const context = ctx as StepContext;
          const s = ready.shift();
          if (s) {
            context.kind = "login";
            context.signIn = s;
            s.loginPickedAt = performance.now();
            return {
              ...req,
              path: "/v1/auth/sms-login",
              headers: { ...req.headers, ...headersFor(s.client) },
              body: JSON.stringify({ phone: s.client.phone, code: s.code }),
            };
          }
          const client = nextClient();
          const signIn: SignIn = { client, code: undefined, codeAt: NaN, sendDone: false, queued: false, sendStart: NaN, sendMs: NaN, loginPickedAt: NaN };
          inFlight.set(client.phone, signIn);
          codes.on(client.phone, (code, at) => {
            signIn.code = code;
            signIn.codeAt = at;
            markReady(signIn);
          });
          context.kind = "send";
          context.signIn = signIn;
          return {
            ...req,
            path: "/v1/codes",
            headers: { ...req.headers, ...headersFor(client) },
            body: JSON.stringify({ phone: client.phone, purpose: "login" }),
          };
        },
        onResponse(status, body, ctx: Context) {
          const context = ctx as StepContext;
          context.status = status;
          context.body = body;
        },
      },
    ],
  });

  instance.on("response", (client, status, _bytes, responseMs) => {
    const context = client.requestIterator.context as StepContext;
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
          if ((JSON.parse(context.body ?? "") as { isNewUser?: unknown }).isNewUser === true) newUsers++;
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

  let cpuBefore: CpuSnapshot | undefined;
  instance.on("start", () => {
    cpuBefore = cpuSnapshot(wrangler.child.pid, server.port);
  });
  const loadAverageBefore = os.loadavg().map((x) => +x.toFixed(2));
  const startedAt = performance.now();
  const result = await instance; // autocannon's tracker is also the run's promise
  const elapsedMs = performance.now() - startedAt;
  const cpu = cpuBefore ? cpuReport(cpuBefore, cpuSnapshot(wrangler.child.pid, server.port)) : [];
  if (wrangler.exited) throw new BenchError(`wrangler dev exited during the load (${wrangler.code ?? wrangler.signal}):\n${indent(wrangler.tail.join("\n"))}`);

  let waitingForCode = 0;
  for (const s of inFlight.values()) if (!s.queued) waitingForCode++;
  return {
    elapsedMs,
    loadAverageBefore,
    cpu,
    sends,
    logins,
    signIns,
    codeDelay,
    completions,
    startedAt,
    connErrors,
    newUsers,
    unfinished: inFlight.size,
    unfinishedWaitingForCode: waitingForCode,
    autocannon: result,
  };
}

/** GET /healthz under the same connections: the request path with no binding call at all. */
export async function healthzBaseline(server: Server, opts: Options): Promise<Baseline> {
  const wrangler = server.process;
  log(`bench: baseline, GET /healthz with ${opts.connections} connections for ${opts.baseline} s`);
  const instance = autocannon({
    url: `${server.base}/healthz`,
    connections: opts.connections,
    duration: opts.baseline,
    pipelining: 1,
    timeout: opts.requestTimeout,
  });
  let cpuBefore: CpuSnapshot | undefined;
  instance.on("start", () => {
    cpuBefore = cpuSnapshot(wrangler.child.pid, server.port);
  });
  const result = await instance;
  const cpu = cpuBefore ? cpuReport(cpuBefore, cpuSnapshot(wrangler.child.pid, server.port)) : [];
  if (wrangler.exited)
    throw new BenchError(`wrangler dev exited during the baseline (${wrangler.code ?? wrangler.signal}):\n${indent(wrangler.tail.join("\n"))}`);
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
