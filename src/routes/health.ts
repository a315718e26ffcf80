import { Hono } from "hono";
import type { AppEnv } from "../http/app-env";
import { providerSetups } from "../sms/registry";

/**
 * Liveness plus what an operator needs to see at a glance: which SMS providers are configured and,
 * for a broken one, which settings are missing (names only, never values).
 */
export const healthRoutes = new Hono<AppEnv>().get("/healthz", (c) => {
  const config = c.get("config");
  const sms = Object.fromEntries(
    [...providerSetups(c.env, config.SMS_PROVIDER)].map(([name, setup]) => [name, setup.ok ? { ok: true } : { ok: false, problems: setup.problems }]),
  );
  const ok = Object.values(sms).every((setup) => setup.ok);
  return c.json({ ok, sms }, ok ? 200 : 503);
});
