import type { Db } from "../db/client";
import { publish } from "../events/publish";
import { ApiError } from "../http/errors/api-error";
import type { RequestScope } from "../platform/scope";
import { endSession, endUserSessions, type SessionUser } from "./sessions";

/** Ends the session the request came with. */
export async function signOut(scope: RequestScope, db: Db, session: SessionUser): Promise<void> {
  await endSession(db, session.user.id, session.sessionId);
  publish(scope, { type: "session.ended", userId: session.user.id, sessionId: session.sessionId, reason: "logout" });
}

/** Ends every session of the user, the current one included. */
export async function signOutEverywhere(scope: RequestScope, db: Db, session: SessionUser): Promise<void> {
  await endUserSessions(db, session.user.id);
  publish(scope, { type: "session.ended", userId: session.user.id, reason: "logout_all" });
}

/** Ends one of the user's sessions by id (the device list); 404 for an id that is not theirs. */
export async function revokeSession(scope: RequestScope, db: Db, session: SessionUser, sessionId: string): Promise<void> {
  if (!(await endSession(db, session.user.id, sessionId))) throw new ApiError("not_found", { detail: { "zh-CN": "没有这个会话", en: "no such session" } });
  publish(scope, { type: "session.ended", userId: session.user.id, sessionId, reason: sessionId === session.sessionId ? "logout" : "revoked" });
}
