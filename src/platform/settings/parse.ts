import * as z from "zod";

/** Parsers for settings as wrangler hands them over: strings, or numbers/booleans when written unquoted in [vars]. */

/** wrangler hands `[vars]` over as strings, or as numbers/booleans when written unquoted. */
export const int = (fallback: number, min: number, max: number) =>
  z.preprocess((v) => (v === undefined || v === "" ? fallback : typeof v === "string" ? Number(v.trim()) : v), z.number().int().min(min).max(max));

export const bool = (fallback: boolean) =>
  z.preprocess(
    (v) => (v === undefined || v === "" ? fallback : typeof v === "string" ? v.trim().toLowerCase() : v),
    z.union([z.boolean(), z.enum(["true", "1", "yes", "false", "0", "no"]).transform((s) => ["true", "1", "yes"].includes(s))]),
  );

export const list = (fallback: string) =>
  z.preprocess(
    (v) => (v === undefined || v === "" ? fallback : v),
    z.string().transform((s) =>
      s
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean),
    ),
  );
