import { Hono } from "hono";
import { changePhone, updateProfile } from "../auth/accounts";
import type { AppEnv } from "../http/app-env";
import { dbOf, requireSession, scopeOf, sessionOf } from "../http/context";
import { jsonBody } from "../http/validate";
import { changePhoneBody, updateProfileBody } from "../http/schemas";
import { toPublicUser } from "../auth/users";

// Body validation runs before requireSession: the documented order is schema (400) → session (401).
export const meRoutes = new Hono<AppEnv>()
  .get("/me", requireSession, (c) => {
    const { user, phone } = sessionOf(c);
    return c.json({ user: toPublicUser(user, phone) }, 200);
  })
  .patch("/me", jsonBody(updateProfileBody), requireSession, async (c) => {
    const user = await updateProfile(dbOf(c), sessionOf(c), c.req.valid("json"));
    return c.json({ user }, 200);
  })
  .post("/me/phone", jsonBody(changePhoneBody), requireSession, async (c) => {
    const user = await changePhone(scopeOf(c), dbOf(c), sessionOf(c), c.req.valid("json"));
    return c.json({ user }, 200);
  });
