/**
 * CPU accounting from /proc (Linux): who used the two cores during the load.
 *
 * Every process under the wrangler process this script spawned is sampled (utime + stime of
 * /proc/<pid>/stat) before and after a measured window; the difference is its CPU time in the
 * window. The same measure as the side-by-side bench (shared/bench, lib/procs.mjs): CPU per
 * sign-in is the CPU time of all workerd processes over the window ÷ sign-ins completed in it.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { HOST } from "./common.ts";

/** /proc counts CPU time in clock ticks: USER_HZ, 100 a second on Linux, but asked, not assumed. */
const TICK_MS = (() => {
  try {
    return 1000 / (Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()) || 100);
  } catch {
    return 10;
  }
})();

export interface CpuSnapshot {
  at: number;
  self: NodeJS.CpuUsage;
  procs: { pid: number; label: string; ticks: number }[];
  /** Busy ticks of the whole machine. */
  machine: number;
}

/** Cores busy on average over the window, by kind of process. */
export interface CpuShare {
  name: string;
  cores: number;
}

/** rootPid and all its live descendants, labelled. */
function processTree(rootPid: number, port: number): { pid: number; label: string }[] {
  const parents = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // comm (field 2) may hold spaces and parentheses: split after the last ')'.
      parents.set(Number(pid), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const tree = [rootPid];
  for (let k = 0; k < tree.length; k++) for (const [pid, ppid] of parents) if (ppid === tree[k] && !tree.includes(pid)) tree.push(pid);
  return tree.map((pid) => ({ pid, label: processLabel(pid, port) }));
}

/** wrangler dev runs two workerd processes: its proxy on the public port, and the Worker's runtime. */
function processLabel(pid: number, port: number): string {
  let cmd = "";
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "?";
  }
  if (/\bworkerd\b/.test(cmd)) {
    return cmd.includes(`entry=${HOST}:${port}`) ? "workerd: wrangler's proxy, on the port" : "workerd: the Worker, its Durable Objects, KV and D1 simulators";
  }
  if (/esbuild/.test(cmd)) return "esbuild (wrangler's, idle with --no-bundle)";
  if (/wrangler/.test(cmd)) return "wrangler (node: dev server, log relay)";
  return cmd.split(" ")[0] || "?";
}

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15), in clock ticks
  } catch {
    return NaN;
  }
}

/** Busy clock ticks of the whole machine (all CPUs), from the first line of /proc/stat. */
function machineTicks(): number {
  try {
    const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal: all but idle and iowait is busy.
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number) as number[];
    return user! + nice! + system! + irq! + softirq! + steal!;
  } catch {
    return NaN;
  }
}

/**
 * CPU counters now: of the process tree under `serverPid` (the wrangler process this script
 * spawned), of this process, and of the machine. `port` tells wrangler's proxy from the Worker.
 */
export function cpuSnapshot(serverPid: number | undefined, port: number): CpuSnapshot {
  const procs = serverPid === undefined ? [] : processTree(serverPid, port).map((p) => ({ ...p, ticks: cpuTicks(p.pid) }));
  return { at: performance.now(), self: process.cpuUsage(), procs, machine: machineTicks() };
}

/**
 * Cores each kind of process kept busy between two snapshots. A process that only appears in
 * `after` started inside the window and is counted whole; one that ended inside it is lost.
 */
export function cpuReport(before: CpuSnapshot, after: CpuSnapshot): CpuShare[] {
  const wall = after.at - before.at;
  const byLabel = new Map<string, number>();
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

/**
 * CPU milliseconds of all workerd processes (both: wrangler's proxy and the Worker's runtime)
 * per unit of work, from the cores they kept busy and the units done per second over the same
 * window: (workerd CPU ms ÷ window) ÷ (units ÷ window) = workerd CPU ms ÷ units.
 */
export function workerdMsPer(cpu: CpuShare[] | undefined, perSecond: number): number | undefined {
  const cores = (cpu ?? []).filter((c) => c.name.startsWith("workerd")).reduce((a, c) => a + c.cores, 0);
  return cores > 0 && perSecond > 0 ? +((cores * 1000) / perSecond).toFixed(2) : undefined;
}
