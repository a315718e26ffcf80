import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { sessions } from "../db/schema";
import { ApiError } from "../http/errors/api-error";
import type { SessionUser } from "./sessions";

/**
 * LOCAL STAND-IN for the shared "recent authentication" building block (issue 10/12:
 * REAUTH_WINDOW_SECONDS and POST /v1/auth/reauthenticate). Until that lands, linking or unlinking
 * a sign-in method requires a session that signed in within the last RECENT_SIGN_IN_SECONDS;
 * otherwise 403 reauthentication_required and the client signs in again. Swap every call of
 * requireRecentSignInLocal for the shared check when it exists; nothing else depends on this file.
 */
export const RECENT_SIGN_IN_SECONDS = 600;

export async function requireRecentSignInLocal(db: Db, session: SessionUser, now = Date.now()): Promise<void> {
  const rows = await db.select({ createdAt: sessions.createdAt }).from(sessions).where(eq(sessions.tokenHash, session.tokenHash)).limit(1);
  const createdAt = rows[0]?.createdAt;
  if (createdAt === undefined || now - createdAt > RECENT_SIGN_IN_SECONDS * 1000) throw new ApiError("reauthentication_required");
}
