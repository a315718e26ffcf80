/**
 * --profile: a CPU profile of the Worker's isolate during the load, taken through wrangler dev's
 * inspector (Chrome DevTools Protocol: Profiler.start / Profiler.stop), and a summary of it: self
 * time per package or src/ folder and the heaviest functions, per sign-in. The time the runtime
 * spends outside JavaScript (storage simulators, RPC plumbing, the network) shows as "(program)"
 * or is not in the profile at all: CPU per sign-in from /proc is the whole bill, this is the part
 * our JavaScript can change.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { BenchError, log } from "./common.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export async function startProfile(inspectorPort: number): Promise<{ stop(): Promise<CpuProfile> }> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { id: string; title?: string; webSocketDebuggerUrl?: string }[];
  // The user Worker's isolate (wrangler's own proxy workers are titled differently).
  const target = targets.find((t) => t.webSocketDebuggerUrl && /edge-phone-auth/.test(`${t.title} ${t.id}`)) ?? targets.find((t) => t.webSocketDebuggerUrl);
  if (!target?.webSocketDebuggerUrl) throw new BenchError(`no inspector target on port ${inspectorPort}`);
  // wrangler's inspector proxy refuses a client without an Origin it allows (localhost).
  const socket = new WebSocket(target.webSocketDebuggerUrl, { headers: { Origin: "http://localhost" } } as unknown as string[]);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new BenchError("could not connect to the inspector")), { once: true });
  });
  let nextId = 0;
  const pending = new Map<number, (value: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 200 });
  await send("Profiler.start");
  log(`bench: profiling ${target.title ?? target.id}`);
  return {
    async stop() {
      const result = (await send("Profiler.stop")) as { profile: CpuProfile };
      socket.close();
      return result.profile;
    },
  };
}

/** For each line of the unminified bundle, the package or src/ folder it came from (esbuild's comments). */
function sectionsOf(bundleFile: string): (line: number) => string {
  const starts: { line: number; owner: string }[] = [];
  readFileSync(bundleFile, "utf8")
    .split("\n")
    .forEach((text, line) => {
      const match = /^\/\/ (?:.*node_modules\/((?:@[^/]+\/)?[^/]+)|(src\/[^/]+)|(.+))/.exec(text);
      if (match) starts.push({ line, owner: match[1] ?? match[2] ?? "other" });
    });
  return (line) => {
    let owner = "other";
    for (const start of starts) {
      if (start.line > line) break;
      owner = start.owner;
    }
    return owner;
  };
}

/** Self time by owner and the heaviest functions, in ms per sign-in. */
export function printProfile(profile: CpuProfile, signIns: number, bundleFile: string): void {
  const section = sectionsOf(bundleFile);
  const bundleName = basename(bundleFile);
  // Only the Worker's own script maps to the bundle's lines; workerd's built-in scripts
  // (cloudflare-internal:d1-api, node-internal:…) and miniflare's wrappers are runtime, named by script.
  const ownerOf = (frame: CallFrame) => {
    if (frame.url === bundleName || frame.url.endsWith(`/${bundleName}`)) return section(frame.lineNumber);
    if (frame.url) return `(runtime: ${frame.url})`;
    return frame.functionName.startsWith("(") ? frame.functionName : "(runtime)";
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    total += us;
    owners.set(ownerOf(frame), (owners.get(ownerOf(frame)) ?? 0) + us);
    const name = `${frame.functionName || "(anonymous)"} ${ownerOf(frame)}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const per = (us: number) => (signIns > 0 ? (us / 1000 / signIns).toFixed(3) : "-");
  const lines = [`CPU profile of the Worker's isolate: ${(total / 1000).toFixed(0)} ms sampled, ${signIns} sign-ins; ms per sign-in (self time):`];
  for (const [owner, us] of [...owners].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${per(us).padStart(7)}  ${owner}`);
  lines.push("heaviest functions:");
  for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 20)) lines.push(`  ${per(us).padStart(7)}  ${name}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}
