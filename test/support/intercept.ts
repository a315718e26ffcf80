/**
 * Test helpers for the provider senders. The Worker code shares the test isolate, so spying on
 * globalThis.fetch intercepts the providers' outbound requests.
 */
import { vi } from "vitest";
import type { Phone } from "../../src/phone/phone";
import type { SmsMessage } from "../../src/sms/types";

export interface Intercepted {
  /** Every outbound request, rebuilt as a Request so method, URL, headers and body can be read. */
  requests: Request[];
}

export function interceptFetch(respond: (request: Request) => Response | Promise<Response>): Intercepted {
  const requests: Request[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    requests.push(request);
    return respond(request);
  });
  return { requests };
}

/** A fetch that never answers and rejects with the signal's reason once the signal aborts, as workerd's does. */
export function interceptHangingFetch(): void {
  vi.spyOn(globalThis, "fetch").mockImplementation(
    (_input, init) =>
      new Promise<Response>((_resolve, reject) => {
        const signal = init?.signal;
        if (!signal) return;
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener("abort", () => reject(signal.reason));
      }),
  );
}

export const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export const mainland: Phone = { e164: "+8613800138000", country: "CN", countryCallingCode: "86", nationalNumber: "13800138000" };
export const hongKong: Phone = { e164: "+85251234567", country: "HK", countryCallingCode: "852", nationalNumber: "51234567" };
export const unitedStates: Phone = { e164: "+12025550123", country: "US", countryCallingCode: "1", nationalNumber: "2025550123" };

export const CODE = "482913";

export function message(to: Phone = mainland, overrides: Partial<SmsMessage> = {}): SmsMessage {
  return { to, purpose: "login", code: CODE, expiresInSeconds: 300, ...overrides };
}

export const never = () => new AbortController().signal;

/** Runs `promise`, expecting a rejection, and returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

export function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}
