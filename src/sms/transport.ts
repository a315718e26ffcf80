/**
 * One HTTP exchange with a provider, with transport failures turned into SmsDeliveryError.
 * Errors thrown by fetch are replaced rather than wrapped: their messages may quote the URL, and
 * Aliyun's URL carries the code in TemplateParam.
 */
import { randomBytes, toHex } from "../platform/crypto";
import { SmsDeliveryError } from "./types";

export interface ProviderAnswer {
  status: number;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  json: unknown;
}

export async function exchange(provider: string, url: string, init: RequestInit, signal: AbortSignal): Promise<ProviderAnswer> {
  try {
    // `fetch` is looked up on each call (not captured at import) so tests can intercept it.
    const response = await fetch(url, { ...init, signal });
    // The body is read under the same signal: a provider that answers headers then stalls still
    // times out.
    const text = await response.text();
    return { status: response.status, json: parseJson(text) };
  } catch {
    // An abort can only come from our signal (the per-provider timeout in deliver()).
    throw new SmsDeliveryError(provider, "retryable", signal.aborted ? "timeout" : "network_error");
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A string field of a JSON object answer, if there is one (numbers are accepted and stringified). */
export function field(json: unknown, name: string): string | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const value = (json as Record<string, unknown>)[name];
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

/** What a non-2xx answer without a provider error code means: 5xx and 429 are worth another provider. */
export function httpFailureKind(status: number): "retryable" | "rejected" {
  return status >= 500 || status === 429 ? "retryable" : "rejected";
}

/**
 * An answer without the provider's JSON: a proxy or an outage page, not the provider refusing.
 * Whether a 2xx of that kind sent anything is unknown, and a second text beats none, so it
 * fails over too.
 */
export function unreadableAnswer(provider: string, status: number, requestId?: string): SmsDeliveryError {
  const ok2xx = status >= 200 && status < 300;
  return new SmsDeliveryError(provider, ok2xx ? "retryable" : httpFailureKind(status), ok2xx ? "unreadable_answer" : `http_${status}`, requestId);
}

/** Where a sender gets its time and nonces; tests pass fixed ones to compare against fixed vectors. */
export interface SenderClock {
  now(): Date;
  nonce(): string;
}

export const systemClock: SenderClock = {
  now: () => new Date(),
  nonce: () => toHex(randomBytes(16)),
};
