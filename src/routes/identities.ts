import { Hono } from "hono";
import * as z from "zod/mini";
import { listIdentities } from "../auth/identities";
import { countAgainstClient } from "../auth/proof-limits";
import { linkMyWechat, unlinkMyWechat } from "../auth/wechat-link";
import type { AppEnv } from "../http/app-env";
import { dbOf, scopeOf, sessionOf } from "../http/context";
import { route } from "../http/contract";

const identitiesResponse = z.object({
  identities: z.array(
    z.discriminatedUnion("provider", [
      z.object({ provider: z.literal("phone"), identifier: z.string().register(z.globalRegistry, { description: "E.164" }) }),
      z.object({
        provider: z.literal("wechat"),
        identifier: z.string().register(z.globalRegistry, { description: "The unionid (or openid), masked" }),
        linkedAt: z.string().register(z.globalRegistry, { format: "date-time" }),
      }),
      z.object({ provider: z.literal("password") }),
    ]),
  ),
});

const listMine = route({
  operationId: "listIdentities",
  tag: "Account",
  summary: "Linked sign-in methods",
  description: "The phone, the linked WeChat (masked) and whether a password is set.",
  auth: "bearer",
  answers: [{ status: 200, description: "The sign-in methods.", schema: identitiesResponse }],
  errors: ["too_many_requests"],
});

const linkMine = route({
  operationId: "linkWechat",
  tag: "Account",
  summary: "Link WeChat",
  description:
    "Links the WeChat identity behind a `wx.login()` code to the signed-in user, replacing a WeChat linked before. Needs a recent sign-in " +
    "(403 reauthentication_required); 409 identity_in_use when that WeChat belongs to another user.",
  auth: "bearer",
  body: z.strictObject({ code: z.string().check(z.minLength(1), z.maxLength(256)).register(z.globalRegistry, { description: "The code from wx.login()" }) }),
  answers: [{ status: 200, description: "Linked; the sign-in methods now.", schema: identitiesResponse }],
  errors: ["reauthentication_required", "wechat_code_invalid", "identity_in_use", "too_many_requests", "wechat_unavailable", "wechat_not_configured"],
});

const unlinkMine = route({
  operationId: "unlinkWechat",
  tag: "Account",
  summary: "Unlink WeChat",
  description: "Unlinks the user's WeChat (nothing to unlink is fine too). The phone always remains. Needs a recent sign-in (403 reauthentication_required).",
  auth: "bearer",
  answers: [{ status: 204, description: "Unlinked." }],
  errors: ["reauthentication_required", "too_many_requests"],
});

export const identityRoutes = new Hono<AppEnv>()
  .get("/me/identities", listMine, async (c) => {
    await countAgainstClient(scopeOf(c), "identities");
    return c.json({ identities: await listIdentities(dbOf(c), sessionOf(c).user) }, 200);
  })
  .post("/me/identities/wechat", linkMine, async (c) => {
    const session = sessionOf(c);
    await linkMyWechat(scopeOf(c), dbOf(c), session, c.req.valid("json").code);
    return c.json({ identities: await listIdentities(dbOf(c), session.user) }, 200);
  })
  .delete("/me/identities/wechat", unlinkMine, async (c) => {
    await unlinkMyWechat(scopeOf(c), dbOf(c), sessionOf(c));
    return c.body(null, 204);
  });
