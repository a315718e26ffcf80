/**
 * Child processes: each in its own process group, so the whole tree (wrangler → workerd) is
 * stopped by group id — the PID of the process this script spawned — and only what this script
 * started. Never by name.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { BenchError, indent, lastLines, ROOT, stripAnsi } from "./common.ts";

export const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/** One wrangler process this script started, and what is known of its end. */
export interface Child {
  child: ChildProcessByStdio<null, Readable, Readable>;
  name: string;
  exited: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Its last 60 output lines that no `onLine` took, for error messages. */
  tail: string[];
  exitedPromise: Promise<void>;
}

/** Takes one output line; true if it was consumed (then it is kept out of `tail`). */
export type LineHandler = (line: string, stream: "out" | "err") => boolean;

const children = new Set<Child>();

export function startWrangler(args: string[], { name, onLine, logFile }: { name: string; onLine?: LineHandler; logFile?: string }): Child {
  const child = spawn(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // No telemetry, and no fetch of the `Request.cf` placeholder from the internet (miniflare falls back to a built-in one).
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  const entry: Child = { child, name, exited: false, code: null, signal: null, tail: [], exitedPromise: Promise.resolve() };
  children.add(entry);
  entry.exitedPromise = new Promise<void>((resolve) => {
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
  const log = logFile ? createWriteStream(logFile) : undefined;
  for (const [stream, label] of [
    [child.stdout, "out"],
    [child.stderr, "err"],
  ] as const) {
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

/** Runs one wrangler command to its end; its whole output, or a BenchError with its last lines. */
export async function runWrangler(args: string[], name: string): Promise<string> {
  const entry = startWrangler(args, { name });
  const all: Buffer[] = [];
  entry.child.stdout.on("data", (d: Buffer) => all.push(d));
  entry.child.stderr.on("data", (d: Buffer) => all.push(d));
  await entry.exitedPromise;
  killGroup(entry, "SIGKILL"); // anything wrangler left behind in its group (none expected)
  children.delete(entry);
  const output = stripAnsi(Buffer.concat(all).toString("utf8"));
  if (entry.code !== 0) throw new BenchError(`${name} failed (exit ${entry.code ?? entry.signal}):\n${indent(lastLines(output, 40))}`);
  return output;
}

function killGroup(entry: Child, signal: NodeJS.Signals): void {
  const pid = entry.child.pid;
  if (pid === undefined) return; // never started: no group
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

export async function stop(entry: Child): Promise<void> {
  if (!children.has(entry)) return;
  killGroup(entry, "SIGTERM");
  const timer = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
  await Promise.race([entry.exitedPromise, timer]);
  // workerd may outlive wrangler by a moment: the group is killed either way.
  killGroup(entry, "SIGKILL");
  children.delete(entry);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map(stop));
}

// A last resort if the process exits without the async cleanup (process.exit, a crash).
process.on("exit", () => {
  for (const entry of children) killGroup(entry, "SIGKILL");
});
