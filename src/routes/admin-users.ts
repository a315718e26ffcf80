import { Hono } from "hono";
import * as z from "zod/mini";
import { inspectPhone } from "../admin/limits";
import { adminUserById, adminUserByPhone, banUser, endUserSessions, unbanUser } from "../admin/users";
import { adminOf } from "../http/admin-auth";
import type { AppEnv } from "../http/app-env";
import { dbOf, scopeOf } from "../http/context";
import { route } from "../http/contract";
import { phoneField, userSchema } from "../http/schemas";
import { parsePhone } from "../phone/phone";
import { phoneStateSchema } from "./admin-limits";

const adminUserSchema = z
  .object({
    user: userSchema,
    identities: z.array(z.object({ provider: z.string(), identifier: z.string(), createdAt: z.string().register(z.globalRegistry, { format: "date-time" }) })),
    liveSessions: z.number().check(z.int()),
    banned: z.nullable(z.object({ at: z.string().register(z.globalRegistry, { format: "date-time" }), reason: z.string() })),
  })
  .register(z.globalRegistry, { id: "AdminUser" });

const userLookup = z.object({ user: z.nullable(adminUserSchema), phoneState: z.nullable(phoneStateSchema) });
const userIdParam = z.string().check(z.regex(/^[0-9a-f-]{36}$/));

const findUser = route({
  operationId: "adminFindUser",
  tag: "Admin",
  summary: "Look a user up by phone",
  description: "The user (null if the number has no account) and the phone's current limits, which exist for any number.",
  auth: "admin",
  query: z.object({ phone: phoneField }),
  answers: [{ status: 200, description: "The user, or null, and the phone's limits.", schema: userLookup }],
  errors: ["invalid_phone"],
});

const getUser = route({
  operationId: "adminGetUser",
  tag: "Admin",
  summary: "A user by id",
  description: "The user, identities, live sessions, ban, and the limits of its phone (if it has one).",
  auth: "admin",
  answers: [{ status: 200, description: "The user and its phone's limits.", schema: userLookup }],
  errors: ["user_not_found"],
});

const ban = route({
  operationId: "adminBanUser",
  tag: "Admin",
  summary: "Ban a user",
  description: "Ends every session; sign-ins and Bearer calls then answer 403 account_disabled. Audited with the reason.",
  auth: "admin",
  body: z.strictObject({ reason: z.string().check(z.trim(), z.minLength(1), z.maxLength(500)) }),
  answers: [{ status: 200, description: "The banned user.", schema: z.object({ user: adminUserSchema }) }],
  errors: ["user_not_found"],
});

const unban = route({
  operationId: "adminUnbanUser",
  tag: "Admin",
  summary: "Lift a user's ban",
  auth: "admin",
  answers: [{ status: 200, description: "The user, no longer banned.", schema: z.object({ user: adminUserSchema }) }],
  errors: ["user_not_found"],
});

const endSessions = route({
  operationId: "adminEndSessions",
  tag: "Admin",
  summary: "End every session of a user",
  auth: "admin",
  answers: [{ status: 200, description: "How many sessions were ended.", schema: z.object({ ended: z.number().check(z.int()) }) }],
  errors: ["user_not_found"],
});

/** A user id from the path, or 404 user_not_found (no query to D1 for what cannot be an id). */
function userId(raw: string): string {
  return userIdParam.safeParse(raw).success ? raw : "00000000-0000-0000-0000-000000000000";
}

export const adminUserRoutes = new Hono<AppEnv>()
  .get("/admin/users", findUser, async (c) => {
    const phone = parsePhone(c.req.valid("query").phone);
    const [user, phoneState] = await Promise.all([adminUserByPhone(dbOf(c), phone.e164), inspectPhone(scopeOf(c), phone)]);
    return c.json({ user, phoneState }, 200);
  })
  .get("/admin/users/:id", getUser, async (c) => {
    const user = await adminUserById(dbOf(c), userId(c.req.param("id")));
    const phone = user.user.phone ? parsePhone(user.user.phone) : undefined;
    return c.json({ user, phoneState: phone ? await inspectPhone(scopeOf(c), phone) : null }, 200);
  })
  .post("/admin/users/:id/ban", ban, async (c) => {
    const user = await banUser(scopeOf(c), dbOf(c), userId(c.req.param("id")), c.req.valid("json").reason, adminOf(c).actor);
    return c.json({ user }, 200);
  })
  .post("/admin/users/:id/unban", unban, async (c) => {
    const user = await unbanUser(scopeOf(c), dbOf(c), userId(c.req.param("id")), adminOf(c).actor);
    return c.json({ user }, 200);
  })
  .delete("/admin/users/:id/sessions", endSessions, async (c) => {
    const ended = await endUserSessions(scopeOf(c), dbOf(c), userId(c.req.param("id")), adminOf(c).actor);
    return c.json({ ended }, 200);
  });
