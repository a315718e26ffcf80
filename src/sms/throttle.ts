/**
 * A provider's per-number limit, answered honestly: the provider accepted nothing, so the user is
 * told to wait (429 too_many_requests) for as long as the provider's window says, instead of
 * another provider being asked (which would defeat the limit the operator configured there) or
 * the user seeing 502.
 */
import { ApiError } from "../http/errors/api-error";
import type { ThrottleWindow } from "./types";

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** Seconds until midnight in Beijing time (UTC+8, no daylight saving), at least 1. */
export function secondsUntilBeijingMidnight(now: Date): number {
  const beijing = now.getTime() + BEIJING_OFFSET_MS;
  const nextMidnight = (Math.floor(beijing / DAY_MS) + 1) * DAY_MS;
  return Math.max(1, Math.ceil((nextMidnight - beijing) / 1000));
}

/**
 * The Retry-After for a window: 30 s, a minute, an hour, or until the next day starts in Beijing
 * time (the providers' calendar; Aliyun documents its day as a rolling 24 hours, so midnight is
 * the earliest moment a retry can succeed, not a promise that it will).
 */
export function throttleRetryAfter(window: ThrottleWindow, now: Date): number {
  switch (window) {
    case "30s":
      return 30;
    case "minute":
      return 60;
    case "hour":
      return 3600;
    case "day":
      return secondsUntilBeijingMidnight(now);
  }
}

/**
 * 429 too_many_requests for a send the provider throttled. Its own class so that the code issuer
 * can tell it from other failures: a throttled send gives the budget's SMS back but keeps the
 * phone's cooldown (src/codes/issue.ts).
 */
export class SmsThrottledError extends ApiError {
  constructor(
    readonly provider: string,
    readonly window: ThrottleWindow,
    now: Date = new Date(),
  ) {
    super("too_many_requests", { retryAfter: throttleRetryAfter(window, now) });
  }
}
