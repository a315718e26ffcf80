import { Hono } from "hono";
import * as z from "zod/mini";
import { budgetToday, inspectPhone, liftRangeBlock, listBlockedRanges, unlockPhoneAsAdmin } from "../admin/limits";
import { adminOf } from "../http/admin-auth";
import type { AppEnv } from "../http/app-env";
import { dbOf, scopeOf } from "../http/context";
import { route } from "../http/contract";
import { ApiError } from "../http/errors/api-error";
import { parsePhone } from "../phone/phone";

const time = z.string().register(z.globalRegistry, { format: "date-time" });

const rangeSchema = z.object({
  range: z.string().register(z.globalRegistry, { description: "Country code and all but the last four national digits, e.g. +861380013" }),
  sends: z.number().check(z.int()).register(z.globalRegistry, { description: "Paid sends over the range's window (PREFIX_WINDOW_SECONDS)" }),
  verified: z.number().check(z.int()).register(z.globalRegistry, { description: "Of those, codes verified" }),
  blockedUntil: z.nullable(time),
});

export const phoneStateSchema = z
  .object({
    phone: z.string(),
    cooldownSeconds: z.number().check(z.int()).register(z.globalRegistry, { description: "Seconds until a new code may be sent" }),
    sendsLast24h: z.number().check(z.int()),
    failedGuesses: z.number().check(z.int()).register(z.globalRegistry, { description: "Wrong codes over PHONE_GUESS_WINDOW_SECONDS" }),
    lockedUntil: z.nullable(time),
    passwordFailures: z.number().check(z.int()),
    passwordLocked: z.boolean(),
    range: rangeSchema,
  })
  .register(z.globalRegistry, { id: "PhoneState" });

const blockedRangeSchema = z.extend(rangeSchema, { blockedUntil: time, blockedAt: time, reason: z.string() });

const getPhone = route({
  operationId: "adminGetPhone",
  tag: "Admin",
  summary: "A phone's limits",
  description: "Cooldown left, sends in the last 24 h, failed guesses, lock, password failures, and its range's state.",
  auth: "admin",
  answers: [{ status: 200, description: "The phone's state.", schema: z.object({ phoneState: phoneStateSchema }) }],
  errors: ["invalid_phone"],
});

const unlock = route({
  operationId: "adminUnlockPhone",
  tag: "Admin",
  summary: "Unlock a phone",
  description: "Clears the guess lock, the failed guesses, the daily send count and the password failures. Audited.",
  auth: "admin",
  answers: [{ status: 200, description: "The phone's state after it.", schema: z.object({ phoneState: phoneStateSchema }) }],
  errors: ["invalid_phone"],
});

const listBlocked = route({
  operationId: "adminBlockedRanges",
  tag: "Admin",
  summary: "Blocked number ranges",
  auth: "admin",
  answers: [{ status: 200, description: "The ranges blocked now, with why and until when.", schema: z.object({ ranges: z.array(blockedRangeSchema) }) }],
  errors: [],
});

const lift = route({
  operationId: "adminLiftRangeBlock",
  tag: "Admin",
  summary: "Lift a range's block",
  description: "Also forgets the range's counts, or its next send would block it again. `lifted: false` when it was not blocked. Audited.",
  auth: "admin",
  answers: [{ status: 200, description: "Whether a block was lifted.", schema: z.object({ range: z.string(), lifted: z.boolean() }) }],
  errors: ["invalid_request"],
});

const budget = route({
  operationId: "adminBudget",
  tag: "Admin",
  summary: "Today's SMS budget",
  auth: "admin",
  answers: [
    {
      status: 200,
      description: "The UTC day's budget (DAILY_SMS_BUDGET), SMS spent and left.",
      schema: z.object({ day: z.string(), budget: z.number().check(z.int()), spent: z.number().check(z.int()), left: z.number().check(z.int()) }),
    },
  ],
  errors: [],
});

const RANGE = /^\+?(\d{3,15})$/;

export const adminLimitRoutes = new Hono<AppEnv>()
  .get("/admin/phones/:phone", getPhone, async (c) => {
    return c.json({ phoneState: await inspectPhone(scopeOf(c), parsePhone(c.req.param("phone"))) }, 200);
  })
  .post("/admin/phones/:phone/unlock", unlock, async (c) => {
    const phoneState = await unlockPhoneAsAdmin(scopeOf(c), parsePhone(c.req.param("phone")), adminOf(c).actor);
    return c.json({ phoneState }, 200);
  })
  .get("/admin/ranges/blocked", listBlocked, async (c) => {
    return c.json({ ranges: await listBlockedRanges(scopeOf(c), dbOf(c)) }, 200);
  })
  .delete("/admin/ranges/:range/block", lift, async (c) => {
    const match = RANGE.exec(c.req.param("range"));
    if (!match) throw new ApiError("invalid_request", { details: [{ field: "range", message: "a range such as +861380013" }] });
    return c.json(await liftRangeBlock(scopeOf(c), dbOf(c), `+${match[1]}`, adminOf(c).actor), 200);
  })
  .get("/admin/budget", budget, async (c) => c.json(await budgetToday(scopeOf(c)), 200));
