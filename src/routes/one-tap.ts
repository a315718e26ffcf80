import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import * as z from "zod/mini";
import { oneTapSignIn } from "../auth/one-tap-sign-in";
import type { AppEnv } from "../http/app-env";
import { dbOf, scopeOf } from "../http/context";
import { route } from "../http/contract";
import { ApiError } from "../http/errors/api-error";
import { sessionResponse } from "../http/schemas";
import { sessionAnswer } from "../http/session-answer";

const carrierToken = z.string().check(z.minLength(1), z.maxLength(4096));

const oneTap = route({
  operationId: "oneTapLogin",
  tag: "WeChat",
  summary: "Sign in with carrier one-tap (本机号码一键登录)",
  description:
    "`accessToken` from Aliyun's app SDK (GetMobile) or `spToken` from its H5 SDK (GetPhoneWithToken): the carrier's number signs in or registers; no SMS is sent. " +
    'A refused token answers 400 one_tap_token_invalid with `error.fallback: "sms"`: offer an SMS code instead. 404 unless the deployment sets ONE_TAP_ENABLED.',
  body: z.union([
    z.strictObject({
      accessToken: carrierToken,
      outId: z
        .optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)))
        .register(z.globalRegistry, { description: "Your own id for this request, passed to Aliyun as OutId" }),
    }),
    z.strictObject({ spToken: carrierToken }),
  ]),
  answers: [{ status: 200, description: "Signed in.", schema: z.extend(sessionResponse, { isNewUser: z.boolean() }) }],
  errors: ["not_found", "one_tap_token_invalid", "invalid_phone", "country_not_allowed", "too_many_requests", "one_tap_unavailable", "one_tap_not_configured"],
});

/** While ONE_TAP_ENABLED is off the route does not exist: 404 before anything else is looked at. */
const enabled = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.get("config").ONE_TAP_ENABLED) throw new ApiError("not_found");
  await next();
});

export const oneTapRoutes = new Hono<AppEnv>().post("/auth/one-tap", enabled, oneTap, async (c) => {
  const body = c.req.valid("json");
  const token =
    "spToken" in body ? { kind: "sp_token" as const, token: body.spToken } : { kind: "access_token" as const, token: body.accessToken, outId: body.outId };
  const { session, user, isNewUser } = await oneTapSignIn(scopeOf(c), dbOf(c), token);
  return c.json({ ...(await sessionAnswer(c.get("config"), session, user)), isNewUser }, 200);
});
