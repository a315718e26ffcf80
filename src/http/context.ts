import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { readAccessToken } from "../auth/access-token";
import { loadSession, type SessionUser } from "../auth/sessions";
import { createDb, type Db } from "../db/client";
import type { RequestScope } from "../platform/scope";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors/api-error";

/** What the domain needs from this request (platform/scope.ts), built from the context. */
export function scopeOf(c: Context<AppEnv>): RequestScope {
  const country = (c.req.raw.cf as { country?: unknown } | undefined)?.country;
  return {
    env: c.env,
    config: c.get("config"),
    log: c.get("log"),
    clientIp: c.req.header("CF-Connecting-IP"),
    userAgent: c.req.header("User-Agent"),
    country: typeof country === "string" ? country : undefined,
    defer: inBackground(c),
    answered: c.get("answered"),
  };
}

// drizzle's handle holds no per-request state, and the D1 binding is the same object for the
// isolate's life: one handle per binding, not one per request.
const databases = new WeakMap<D1Database, Db>();

export function dbOf(c: Context<AppEnv>): Db {
  let db = databases.get(c.env.DB);
  if (!db) {
    db = createDb(c.env.DB);
    databases.set(c.env.DB, db);
  }
  return db;
}

/** Work that may finish after the answer (session refresh, cleanup) without delaying it. */
export function inBackground(c: Context<AppEnv>): (work: Promise<unknown>) => void {
  const log = c.get("log");
  return (work) => {
    const guarded = work.catch((error: unknown) => log.error("background.failed", error));
    try {
      c.executionCtx.waitUntil(guarded);
    } catch {
      // No execution context (e.g. app.request() in a unit test): the promise still runs.
    }
  };
}

const BEARER = /^Bearer (\S{1,4096})$/;

/**
 * The session behind `Authorization: Bearer <accessToken>`, or undefined. The token's signature
 * and claims are checked first (no I/O); then its session is read from D1, so a token whose
 * session ended (logout, reset, phone change, reuse) is refused at once by this API even though it
 * has not expired. Third parties verifying with the JWKS see the end within the token's lifetime.
 * A banned user's session is refused with 403 account_disabled (banning deletes the sessions too;
 * this check covers a session a sign-in racing the ban created just after).
 */
export async function readSession(c: Context<AppEnv>): Promise<SessionUser | undefined> {
  const match = BEARER.exec(c.req.header("Authorization") ?? "");
  if (!match) return undefined;
  const read = await readAccessToken(c.get("config"), match[1]!);
  if (!read.ok) return undefined;
  const session = await loadSession(dbOf(c), read.claims.sessionId, read.claims.userId);
  if (session && session.user.bannedAt !== null) throw new ApiError("account_disabled");
  return session;
}

/** 401 unauthorized unless the request carries a live session; sets `c.var.session`. */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  const session = await readSession(c);
  if (!session) throw new ApiError("unauthorized");
  c.set("session", session);
  await next();
});

/** The session requireSession found; a route without requireSession in front gets 401. */
export function sessionOf(c: Context<AppEnv>): SessionUser {
  const session = c.get("session");
  if (!session) throw new ApiError("unauthorized");
  return session;
}
