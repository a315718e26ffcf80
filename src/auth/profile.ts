import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { users } from "../db/schema";
import { ApiError } from "../http/errors/api-error";
import type { SessionUser } from "./sessions";
import { type PublicUser, toPublicUser } from "./users";

export async function updateProfile(db: Db, session: SessionUser, changes: { nickname?: string; avatarUrl?: string | null }): Promise<PublicUser> {
  const [row] = await db
    .update(users)
    .set({ ...changes, updatedAt: Date.now() })
    .where(eq(users.id, session.user.id))
    .returning();
  if (!row) throw new ApiError("unauthorized");
  return toPublicUser(row, session.phone);
}
