import { Hono } from "hono";
import * as z from "zod/mini";
import { wechatLogin, wechatPhoneSignIn } from "../auth/wechat-sign-in";
import type { AppEnv } from "../http/app-env";
import { dbOf, scopeOf } from "../http/context";
import { route } from "../http/contract";
import { sessionResponse } from "../http/schemas";
import { sessionAnswer } from "../http/session-answer";

const wechatCodeField = z
  .string()
  .check(z.minLength(1), z.maxLength(256))
  .register(z.globalRegistry, { description: "The code from wx.login() (single use, valid 5 minutes)" });

const wechatLoginRoute = route({
  operationId: "wechatLogin",
  tag: "WeChat",
  summary: "Sign in with WeChat (Mini Program)",
  description:
    "Exchanges the `wx.login()` code with WeChat (jscode2session). A WeChat identity linked to a user signs in (`status: signed_in`); " +
    "otherwise `status: phone_required` with a short-lived, single-use `wechatTicket` to send with the phone step.",
  body: z.strictObject({ code: wechatCodeField }),
  answers: [
    {
      status: 200,
      description: "Signed in, or a phone is required first.",
      schema: z.discriminatedUnion("status", [
        z.extend(sessionResponse, { status: z.literal("signed_in"), isNewUser: z.literal(false) }),
        z.object({ status: z.literal("phone_required"), wechatTicket: z.string(), expiresIn: z.number().check(z.int()) }),
      ]),
    },
  ],
  errors: ["wechat_code_invalid", "too_many_requests", "wechat_unavailable", "wechat_not_configured"],
});

const wechatPhoneRoute = route({
  operationId: "wechatPhone",
  tag: "WeChat",
  summary: "Sign in with the phone WeChat verified",
  description:
    "Exchanges the `getPhoneNumber` button's code for the user's phone (getuserphonenumber) and signs in or registers with it; no SMS is sent. " +
    "With the `wechatTicket` from wechatLogin, that WeChat identity is linked to the user.",
  body: z.strictObject({
    phoneCode: z
      .string()
      .check(z.minLength(1), z.maxLength(256))
      .register(z.globalRegistry, { description: "The code from the getPhoneNumber button (single use, valid 5 minutes)" }),
    wechatTicket: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  }),
  answers: [{ status: 200, description: "Signed in.", schema: z.extend(sessionResponse, { isNewUser: z.boolean() }) }],
  errors: [
    "wechat_code_invalid",
    "invalid_phone",
    "country_not_allowed",
    "wechat_ticket_invalid",
    "identity_in_use",
    "too_many_requests",
    "wechat_unavailable",
    "wechat_not_configured",
  ],
});

export const wechatRoutes = new Hono<AppEnv>()
  .post("/auth/wechat/login", wechatLoginRoute, async (c) => {
    const result = await wechatLogin(scopeOf(c), dbOf(c), c.req.valid("json").code);
    if (result.status === "phone_required") return c.json({ status: result.status, wechatTicket: result.wechatTicket, expiresIn: result.expiresIn }, 200);
    const { session, user } = result.signedIn;
    return c.json({ status: result.status, ...(await sessionAnswer(c.get("config"), session, user)), isNewUser: false as const }, 200);
  })
  .post("/auth/wechat/phone", wechatPhoneRoute, async (c) => {
    const { phoneCode, wechatTicket } = c.req.valid("json");
    const { session, user, isNewUser } = await wechatPhoneSignIn(scopeOf(c), dbOf(c), phoneCode, wechatTicket);
    return c.json({ ...(await sessionAnswer(c.get("config"), session, user)), isNewUser }, 200);
  });
