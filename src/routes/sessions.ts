import { Hono } from "hono";
import * as z from "zod/mini";
import { listSessions } from "../auth/sessions";
import { revokeSession } from "../auth/sign-out";
import type { AppEnv } from "../http/app-env";
import { dbOf, scopeOf, sessionOf } from "../http/context";
import { route } from "../http/contract";

const sessionSchema = z
  .object({
    id: z.string(),
    createdAt: z.string().register(z.globalRegistry, { format: "date-time" }),
    lastSeenAt: z.string().register(z.globalRegistry, { format: "date-time", description: "The last sign-in or refresh" }),
    expiresAt: z.string().register(z.globalRegistry, { format: "date-time" }),
    userAgent: z.nullable(z.string()).register(z.globalRegistry, { description: "As sent when the session started, at most 200 characters" }),
    country: z.nullable(z.string()).register(z.globalRegistry, { description: "ISO 3166 alpha-2, from Cloudflare's request metadata" }),
    current: z.boolean().register(z.globalRegistry, { description: "The session of the access token that asked" }),
  })
  .register(z.globalRegistry, { id: "Session" });

const list = route({
  operationId: "listSessions",
  tag: "Account",
  summary: "The signed-in devices",
  description: "Every live session of the user, newest first.",
  auth: "bearer",
  answers: [{ status: 200, description: "The sessions.", schema: z.object({ sessions: z.array(sessionSchema) }) }],
  errors: [],
});

const revoke = route({
  operationId: "revokeSession",
  tag: "Account",
  summary: "End one session",
  description: "Ends the session `id` of the signed-in user (a lost device). 404 for an id that is not one of theirs.",
  auth: "bearer",
  answers: [{ status: 204, description: "The session ended." }],
  errors: ["not_found"],
});

export const sessionRoutes = new Hono<AppEnv>()
  .get("/sessions", list, async (c) => {
    const session = sessionOf(c);
    return c.json({ sessions: await listSessions(dbOf(c), session.user.id, session.sessionId) }, 200);
  })
  .delete("/sessions/:id", revoke, async (c) => {
    const id = c.req.param("id");
    await revokeSession(scopeOf(c), dbOf(c), sessionOf(c), id.length <= 64 ? id : "");
    return c.body(null, 204);
  });
