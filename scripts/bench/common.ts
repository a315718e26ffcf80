/** What every part of the benchmark shares: the project root, the one host, errors, log, text helpers. */
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The project's root (this file is scripts/bench/common.ts). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** All traffic goes here, and the server listens only here. */
export const HOST = "127.0.0.1";

/** A failure the benchmark explains itself: printed without a stack trace, exit 1. */
export class BenchError extends Error {}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

export const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "");
export const lastLines = (text: string, n: number): string => text.split("\n").slice(-n).join("\n");
export const indent = (text: string): string =>
  text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
