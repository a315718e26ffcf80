import { and, asc, desc, gte, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { statsHourly, statsRanges } from "../db/schema";
import { dayOf, hourOf } from "./counters";

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** verified ÷ sent, or null when nothing was sent (no conversion to speak of). */
const conversion = (sent: number, verified: number) => (sent > 0 ? Math.round((verified / sent) * 10000) / 10000 : null);

export interface DayFigures {
  day: string;
  provider: string;
  country: string;
  sent: number;
  failed: number;
  verified: number;
  conversion: number | null;
}

export interface RangeFigures {
  range: string;
  sent: number;
  verified: number;
  conversion: number | null;
}

/**
 * /v1/admin/stats: per UTC day × provider × country over the last `days` days (today included),
 * read from the hourly counters (≤ 24 rows per day, provider and country), and the ten ranges
 * with the lowest conversion among those with at least `minSends` sends over the same days.
 */
export async function readStats(db: Db, now: number, days: number, minSends: number): Promise<{ days: DayFigures[]; lowestRanges: RangeFigures[] }> {
  const firstDay = Math.floor(now / DAY) * DAY - (days - 1) * DAY;
  const day = sql<number>`(${statsHourly.hour} / ${DAY})`;
  const sums = {
    sent: sql<number>`sum(${statsHourly.sent})`,
    failed: sql<number>`sum(${statsHourly.failed})`,
    verified: sql<number>`sum(${statsHourly.verified})`,
  };
  const rangeSent = sql<number>`sum(${statsRanges.sent})`;
  const rangeVerified = sql<number>`sum(${statsRanges.verified})`;
  const [perDay, ranges] = await Promise.all([
    db
      .select({ day, provider: statsHourly.provider, country: statsHourly.country, ...sums })
      .from(statsHourly)
      .where(gte(statsHourly.hour, firstDay))
      .groupBy(day, statsHourly.provider, statsHourly.country)
      .orderBy(desc(day), asc(statsHourly.provider), asc(statsHourly.country)),
    db
      .select({ range: statsRanges.range, sent: rangeSent, verified: rangeVerified })
      .from(statsRanges)
      .where(gte(statsRanges.day, dayOf(firstDay)))
      .groupBy(statsRanges.range)
      .having(gte(rangeSent, minSends))
      .orderBy(sql`cast(${rangeVerified} as real) / ${rangeSent}`, desc(rangeSent))
      .limit(10),
  ]);
  return {
    days: perDay.map((r) => ({
      day: dayOf(Number(r.day) * DAY),
      provider: r.provider,
      country: r.country,
      sent: Number(r.sent),
      failed: Number(r.failed),
      verified: Number(r.verified),
      conversion: conversion(Number(r.sent), Number(r.verified)),
    })),
    lowestRanges: ranges.map((r) => ({
      range: r.range,
      sent: Number(r.sent),
      verified: Number(r.verified),
      conversion: conversion(Number(r.sent), Number(r.verified)),
    })),
  };
}

/** Codes sent, failed and verified per UTC hour over the last `hours` hours (the console's chart), every hour listed. */
export async function readHourly(db: Db, now: number, hours: number): Promise<{ hour: string; sent: number; failed: number; verified: number }[]> {
  const first = hourOf(now) - (hours - 1) * HOUR;
  const rows = await db
    .select({
      hour: statsHourly.hour,
      sent: sql<number>`sum(${statsHourly.sent})`,
      failed: sql<number>`sum(${statsHourly.failed})`,
      verified: sql<number>`sum(${statsHourly.verified})`,
    })
    .from(statsHourly)
    .where(and(gte(statsHourly.hour, first)))
    .groupBy(statsHourly.hour);
  const byHour = new Map(rows.map((r) => [r.hour, r]));
  return Array.from({ length: hours }, (_, i) => {
    const hour = first + i * HOUR;
    const row = byHour.get(hour);
    return { hour: new Date(hour).toISOString(), sent: Number(row?.sent ?? 0), failed: Number(row?.failed ?? 0), verified: Number(row?.verified ?? 0) };
  });
}
