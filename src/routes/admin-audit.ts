import { Hono } from "hono";
import * as z from "zod/mini";
import { phoneHash } from "../audit/keys";
import { readAudit } from "../audit/queries";
import { readHourly, readStats } from "../audit/stats";
import type { AppEnv } from "../http/app-env";
import { dbOf } from "../http/context";
import { route } from "../http/contract";
import { ApiError } from "../http/errors/api-error";
import { phoneField } from "../http/schemas";
import { parsePhone } from "../phone/phone";

const intParam = (fallback: number, min: number, max: number) => z._default(z.coerce.number().check(z.int(), z.gte(min), z.lte(max)), fallback);
const conversion = z.nullable(z.number()).register(z.globalRegistry, { description: "verified ÷ sent (0–1); null when nothing was sent" });

const auditEntry = z.object({
  id: z.number().check(z.int()),
  at: z.string().register(z.globalRegistry, { format: "date-time" }),
  type: z.string().register(z.globalRegistry, { example: "sign_in" }),
  actor: z.nullable(z.string()).register(z.globalRegistry, { description: "For admin actions: key:<hash prefix> or the Access email" }),
  userId: z.nullable(z.string()),
  phone: z.nullable(z.string()).register(z.globalRegistry, { description: "Masked" }),
  client: z.nullable(z.string()).register(z.globalRegistry, { description: "A keyed hash of the client address (or IPv6 /64)" }),
  detail: z.nullable(z.record(z.string(), z.unknown())),
});

const audit = route({
  operationId: "adminAudit",
  tag: "Admin",
  summary: "The audit trail",
  description: "Newest first, by `phone` or `userId` (or all); page with `before` = the previous page's `nextBefore`.",
  auth: "admin",
  query: z.object({
    phone: z.optional(phoneField),
    userId: z.optional(z.string().check(z.maxLength(64))),
    limit: intParam(50, 1, 200),
    before: z.optional(z.coerce.number().check(z.int(), z.gte(1))),
  }),
  answers: [
    { status: 200, description: "A page of entries.", schema: z.object({ entries: z.array(auditEntry), nextBefore: z.nullable(z.number().check(z.int())) }) },
  ],
  errors: ["invalid_phone"],
});

const stats = route({
  operationId: "adminStats",
  tag: "Admin",
  summary: "Conversion figures",
  description:
    "Per UTC day × provider × country: codes sent, send failures, codes verified, conversion. And the ten ranges with the lowest conversion among those with at least `minSends` sends (default PREFIX_MIN_SENDS).",
  auth: "admin",
  query: z.object({ days: intParam(7, 1, 90), minSends: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(1_000_000))) }),
  answers: [
    {
      status: 200,
      description: "The figures, newest day first.",
      schema: z.object({
        days: z.array(
          z.object({
            day: z.string(),
            provider: z.string(),
            country: z.string(),
            sent: z.number().check(z.int()),
            failed: z.number().check(z.int()),
            verified: z.number().check(z.int()),
            conversion,
          }),
        ),
        lowestRanges: z.array(z.object({ range: z.string(), sent: z.number().check(z.int()), verified: z.number().check(z.int()), conversion })),
      }),
    },
  ],
  errors: [],
});

const hourly = route({
  operationId: "adminStatsHourly",
  tag: "Admin",
  summary: "Codes sent and verified per hour",
  description: "Every UTC hour of the last `hours` (default 48), oldest first: the console's chart.",
  auth: "admin",
  query: z.object({ hours: intParam(48, 1, 168) }),
  answers: [
    {
      status: 200,
      description: "One entry per hour.",
      schema: z.object({
        hours: z.array(
          z.object({
            hour: z.string().register(z.globalRegistry, { format: "date-time" }),
            sent: z.number().check(z.int()),
            failed: z.number().check(z.int()),
            verified: z.number().check(z.int()),
          }),
        ),
      }),
    },
  ],
  errors: [],
});

export const adminAuditRoutes = new Hono<AppEnv>()
  .get("/admin/audit", audit, async (c) => {
    const { phone, userId, limit, before } = c.req.valid("query");
    if (phone && userId) throw new ApiError("invalid_request", { details: [{ field: "(query)", message: "give phone or userId, not both" }] });
    const hash = phone ? await phoneHash(c.get("config").AUTH_SECRET, parsePhone(phone).e164) : undefined;
    return c.json(await readAudit(dbOf(c), { phoneHash: hash, userId, limit, before }), 200);
  })
  .get("/admin/stats", stats, async (c) => {
    const { days, minSends } = c.req.valid("query");
    return c.json(await readStats(dbOf(c), Date.now(), days, minSends ?? c.get("config").PREFIX_MIN_SENDS), 200);
  })
  .get("/admin/stats/hourly", hourly, async (c) => c.json({ hours: await readHourly(dbOf(c), Date.now(), c.req.valid("query").hours) }, 200));
