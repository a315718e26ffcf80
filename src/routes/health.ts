import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../http/app-env";
import { route } from "../http/contract";
import { providerSetups } from "../sms/registry";

const healthResponse = z.object({
  ok: z.boolean(),
  /** Each configured SMS provider; a broken one names the settings that are missing or malformed (never values). */
  sms: z.record(z.string(), z.object({ ok: z.boolean(), problems: z.optional(z.array(z.string())) })),
});

const health = route({
  operationId: "health",
  tag: "Meta",
  summary: "Health",
  description: "Liveness, and for each configured SMS provider whether its settings are complete (names of missing settings only).",
  answers: [
    { status: 200, description: "Healthy.", schema: healthResponse },
    { status: 503, description: "An SMS provider is misconfigured.", schema: healthResponse },
  ],
  errors: [],
});

/**
 * Liveness plus what an operator needs to see at a glance: which SMS providers are configured and,
 * for a broken one, which settings are missing (names only, never values).
 */
export const healthRoutes = new Hono<AppEnv>().get("/healthz", health, (c) => {
  const config = c.get("config");
  const sms = Object.fromEntries(
    [...providerSetups(c.env, config.SMS_PROVIDER)].map(([name, setup]) => [name, setup.ok ? { ok: true } : { ok: false, problems: setup.problems }]),
  );
  const ok = Object.values(sms).every((setup) => setup.ok);
  return c.json({ ok, sms }, ok ? 200 : 503);
});
