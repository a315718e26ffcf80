import type { DomainEvent } from "../events/types";
import { numberRange } from "../phone/phone";

const HOUR = 3600_000;

export const hourOf = (now: number) => Math.floor(now / HOUR) * HOUR;
export const dayOf = (now: number) => new Date(now).toISOString().slice(0, 10);

export interface HourlyCount {
  hour: number;
  provider: string;
  country: string;
  sent: number;
  failed: number;
  verified: number;
}

export interface RangeCount {
  day: string;
  range: string;
  sent: number;
  verified: number;
}

export interface RangeBlock {
  range: string;
  blockedAt: number;
  blockedUntil: number;
  reason: string;
}

/**
 * The counters behind /v1/admin/stats (daily and hourly aggregates, so no figure needs a scan of
 * the audit trail) and the index of blocked ranges, summed over any number of events: one write
 * of the trail then adds each counter once, whatever the number of events behind it
 * (src/audit/statements.ts).
 */
export class Tally {
  readonly hourly = new Map<string, HourlyCount>();
  readonly ranges = new Map<string, RangeCount>();
  /** The last block of each range wins, as an upsert per event would have left it. */
  readonly blocks = new Map<string, RangeBlock>();

  /** Counts what `event`, published at `now`, changes. */
  add(event: DomainEvent, now: number, blockSeconds: number): void {
    switch (event.type) {
      case "code.sent":
        this.countHour(now, event.provider, event.phone.country, "sent");
        this.countRange(now, numberRange(event.phone), "sent");
        return;
      case "sms.failed":
        this.countHour(now, event.provider, event.phone.country, "failed");
        return;
      case "code.verified":
        // Test numbers (no provider) cost nothing and say nothing about conversion.
        if (!event.provider) return;
        this.countHour(now, event.provider, event.phone.country, "verified");
        this.countRange(now, numberRange(event.phone), "verified");
        return;
      case "prefix.blocked":
        this.blocks.set(event.range, { range: event.range, blockedAt: now, blockedUntil: now + blockSeconds * 1000, reason: "low_conversion" });
        return;
      default:
        return;
    }
  }

  get isEmpty(): boolean {
    return this.hourly.size === 0 && this.ranges.size === 0 && this.blocks.size === 0;
  }

  private countHour(now: number, provider: string, country: string, counter: "sent" | "failed" | "verified"): void {
    const hour = hourOf(now);
    const key = `${hour}|${provider}|${country}`;
    const row = this.hourly.get(key) ?? { hour, provider, country, sent: 0, failed: 0, verified: 0 };
    row[counter] += 1;
    this.hourly.set(key, row);
  }

  private countRange(now: number, range: string, counter: "sent" | "verified"): void {
    const day = dayOf(now);
    const key = `${day}|${range}`;
    const row = this.ranges.get(key) ?? { day, range, sent: 0, verified: 0 };
    row[counter] += 1;
    this.ranges.set(key, row);
  }
}
