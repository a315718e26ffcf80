import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { verifyAccessJwt } from "../admin/access";
import type { AdminActor } from "../admin/actor";
import { publish } from "../events/publish";
import { hitClient } from "../limits/client-limits";
import type { Config } from "../platform/config";
import { sha256, timingSafeEqual, toHex } from "../platform/crypto";
import type { AppEnv } from "./app-env";
import { scopeOf } from "./context";
import { ApiError } from "./errors/api-error";

/** Whether any admin credential is configured; with none, the admin API and console do not exist (404). */
export function adminEnabled(config: Config): boolean {
  return config.ADMIN_API_KEYS.length > 0 || (config.ACCESS_TEAM_DOMAIN !== undefined && config.ACCESS_AUD !== undefined);
}

// Our keys are `npm run admin-key:new`'s; anything of a sane length is hashed and compared, so a
// malformed key costs the same as a wrong one and is counted the same.
const BEARER = /^Bearer ([\x21-\x7e]{16,256})$/;

async function keyActor(header: string | undefined, hashes: string[]): Promise<string | undefined> {
  const match = BEARER.exec(header ?? "");
  if (!match || hashes.length === 0) return undefined;
  const presented = new Uint8Array(await sha256(match[1]!));
  let found: string | undefined;
  // Every configured hash is compared, in constant time each, whichever matches.
  for (const hash of hashes) {
    const expected = Uint8Array.from(hash.match(/../g)!, (pair) => Number.parseInt(pair, 16));
    if (timingSafeEqual(presented, expected)) found = hash;
  }
  return found === undefined ? undefined : `key:${toHex(presented).slice(0, 8)}`;
}

async function authenticate(c: Context<AppEnv>, config: Config): Promise<AdminActor | { reason: string }> {
  const authorization = c.req.header("Authorization");
  const assertion = c.req.header("Cf-Access-Jwt-Assertion");
  const key = await keyActor(authorization, config.ADMIN_API_KEYS);
  if (key) return { actor: key, via: "key" };
  if (assertion && config.ACCESS_TEAM_DOMAIN && config.ACCESS_AUD) {
    const email = await verifyAccessJwt(assertion, config.ACCESS_TEAM_DOMAIN, config.ACCESS_AUD);
    if (email) return { actor: email, via: "access" };
    return { reason: "bad_access_jwt" };
  }
  return { reason: authorization ? "bad_key" : "missing" };
}

/**
 * The admin routes' guard. No admin credential configured → 404 not_found, exactly like a path
 * that does not exist. A missing or wrong credential → 401 admin_unauthorized, counted against the
 * client address on the same hourly limit as wrong codes and passwords (IP_VERIFICATIONS_PER_HOUR);
 * an address over it gets 429 until it drains. A valid credential is never refused by that limit:
 * only failures count, so an operator behind a shared address is not locked out by an attacker.
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const config = c.get("config");
  if (!adminEnabled(config)) throw new ApiError("not_found");
  const result = await authenticate(c, config);
  if ("actor" in result) {
    c.set("admin", result);
    return next();
  }
  const scope = scopeOf(c);
  publish(scope, { type: "admin.denied", reason: result.reason });
  // Only failures count, so an operator is never locked out by someone else's guessing.
  await hitClient(scope, "verify", undefined, "admin");
  throw new ApiError("admin_unauthorized");
});

/** The admin requireAdmin let in. */
export function adminOf(c: Context<AppEnv>): AdminActor {
  const admin = c.get("admin");
  if (!admin) throw new ApiError("admin_unauthorized");
  return admin;
}
