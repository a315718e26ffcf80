import { Hono } from "hono";
import type { AppEnv } from "../env";
import { requireSession, sessionOf } from "../http/context";
import { toPublicUser } from "../users";

export const meRoutes = new Hono<AppEnv>().get("/me", requireSession, (c) => {
  const { user, phone } = sessionOf(c);
  return c.json({ user: toPublicUser(user, phone) }, 200);
});
