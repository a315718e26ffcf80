import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { type SessionUser, validateSession } from "../auth/sessions";
import { createDb, type Db } from "../db/client";
import type { RequestScope } from "../platform/scope";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors/api-error";

/** What the domain needs from this request (platform/scope.ts), built from the context. */
export function scopeOf(c: Context<AppEnv>): RequestScope {
  return {
    env: c.env,
    config: c.get("config"),
    log: c.get("log"),
    clientIp: c.req.header("CF-Connecting-IP"),
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

// Our tokens are 32 random bytes in base64url; anything else cannot match and skips the lookup.
const BEARER = /^Bearer ([A-Za-z0-9_-]{43})$/;

/**
 * The session behind `Authorization: Bearer <token>`, or undefined. A banned user's session is
 * refused with 403 account_disabled (banning deletes the sessions too; this check covers a session
 * a sign-in racing the ban created just after).
 */
export async function readSession(c: Context<AppEnv>): Promise<SessionUser | undefined> {
  const match = BEARER.exec(c.req.header("Authorization") ?? "");
  if (!match) return undefined;
  const session = await validateSession(dbOf(c), match[1]!, c.get("config").SESSION_TTL_SECONDS, inBackground(c));
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
