/** Size of the Worker as `wrangler deploy --dry-run --outdir` writes it, and what it is made of. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { BenchError } from "./common.ts";

export interface BundleSize {
  /** The entry module, the one `wrangler dev --no-bundle` serves. */
  main: string;
  files: { file: string; bytes: number }[];
  rawBytes: number;
  gzipBytes: number;
  /** wrangler's own "Total Upload" line, if it printed one. */
  wrangler: { totalUploadKiB: number; gzipKiB: number } | undefined;
}

export interface Bundle extends BundleSize {
  largestInputs: { owner: string; bytes: number }[];
  /** false for `--profile`, which builds with `--no-minify`: then this is not the size that deploys. */
  minified: boolean;
}

export function bundleSize(dir: string, output: string): BundleSize {
  const files = readdirSync(dir).filter((f) => /\.(m?js|cjs|wasm|bin|txt|html)$/.test(f) && f !== "README.md");
  const modules = files.filter((f) => !f.endsWith(".map"));
  const main = modules.find((f) => /^index\.m?js$/.test(f)) ?? modules.find((f) => /\.m?js$/.test(f));
  if (modules.length === 0 || main === undefined) throw new BenchError(`wrangler deploy --dry-run wrote no module to ${dir}`);
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

/** The parts of esbuild's metafile read here. */
interface Metafile {
  outputs?: Record<string, { inputs?: Record<string, { bytesInOutput: number }> }>;
}

/** Bytes each package (or src/) contributes to the bundle, from esbuild's metafile; largest first. */
export function bundleInputs(metafile: string): { owner: string; bytes: number }[] {
  let meta: Metafile;
  try {
    meta = JSON.parse(readFileSync(metafile, "utf8")) as Metafile;
  } catch {
    return [];
  }
  const byOwner = new Map<string, number>();
  for (const output of Object.values(meta.outputs ?? {})) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs ?? {})) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input.replaceAll("\\", "/"));
      const owner = pkg?.[1] ?? (input.startsWith("src/") ? "src/ (this project)" : "other (wrangler shims)");
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + bytesInOutput);
    }
  }
  return [...byOwner]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([owner, bytes]) => ({ owner, bytes }));
}
