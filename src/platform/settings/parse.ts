import * as z from "zod/mini";

/** Parsers for settings as wrangler hands them over: strings, or numbers/booleans when written unquoted in [vars]. */

/**
 * `fn` runs on the raw value, then `schema` parses what it returns. zod/mini has no z.preprocess;
 * classic zod's was this very pipe (a transform piped into the schema).
 */
export const preprocess = <S extends z.core.$ZodType>(fn: (value: unknown) => unknown, schema: S) => z.pipe(z.transform(fn), schema);

/**
 * A custom issue (at `path`, e.g. a setting's name) raised inside a transform. zod/mini hands a
 * transform the parse payload, which has no `ctx.addIssue` as in classic zod; this pushes the
 * issue that call made.
 */
export function addIssue(payload: z.core.ParsePayload, message: string, path: PropertyKey[] = []): void {
  payload.issues.push({ code: "custom", message, path, input: payload.value });
}

/** wrangler hands `[vars]` over as strings, or as numbers/booleans when written unquoted. */
export const int = (fallback: number, min: number, max: number) =>
  preprocess((v) => (v === undefined || v === "" ? fallback : typeof v === "string" ? Number(v.trim()) : v), z.number().check(z.int(), z.gte(min), z.lte(max)));

export const bool = (fallback: boolean) =>
  preprocess(
    (v) => (v === undefined || v === "" ? fallback : typeof v === "string" ? v.trim().toLowerCase() : v),
    z.union([
      z.boolean(),
      z.pipe(
        z.enum(["true", "1", "yes", "false", "0", "no"]),
        z.transform((s) => ["true", "1", "yes"].includes(s)),
      ),
    ]),
  );

export const list = (fallback: string) =>
  preprocess(
    (v) => (v === undefined || v === "" ? fallback : v),
    z.pipe(
      z.string(),
      z.transform((s: string) =>
        s
          .split(",")
          .map((part) => part.trim())
          .filter(Boolean),
      ),
    ),
  );
