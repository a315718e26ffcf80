import type { Db } from "../db/client";
import { publish } from "../events/publish";
import type { RequestScope } from "../platform/scope";
import { deleteSession, type SessionUser } from "./sessions";

/** Ends the session the request came with. */
export async function signOut(scope: RequestScope, db: Db, session: SessionUser): Promise<void> {
  await deleteSession(db, session.tokenHash);
  publish(scope, { type: "session.ended", userId: session.user.id, reason: "logout" });
}
