import { describe, expect, it } from "vitest";
import { emptyPhone, isPhoneEmpty, nextSendAt, type PhoneSettings, type PhoneState, phoneAt } from "../../src/limits/phone-state";

const settings: PhoneSettings = { RESEND_INTERVAL_SECONDS: 60, DAILY_SENDS_PER_PHONE: 2, PHONE_GUESS_WINDOW_SECONDS: 3600, LOGIN_FAILURE_WINDOW_SECONDS: 900 };
const T = Date.UTC(2026, 0, 15, 12, 0, 0);
const DAY = 24 * 3600_000;

function phone(overrides: Partial<PhoneState>): PhoneState {
  return { ...emptyPhone(), ...overrides };
}

describe("phone state", () => {
  it("says when the next send is allowed: cooldown, rolling cap or lock, whichever is last", () => {
    expect(nextSendAt(phone({}), settings, T)).toBe(T);
    expect(nextSendAt(phone({ sends: [T], lastSendAt: T }), settings, T + 1000)).toBe(T + 60_000);
    expect(nextSendAt(phone({ sends: [T, T + 3600_000], lastSendAt: T + 3600_000 }), settings, T + 3600_000)).toBe(T + DAY);
    expect(nextSendAt(phone({ sends: [T], lastSendAt: T, lockedUntil: T + 7200_000 }), settings, T)).toBe(T + 7200_000);
  });

  it("drops what has run out as of now, and leaves its input alone", () => {
    const stored = phone({
      sends: [T - DAY, T - DAY + 1],
      lastSendAt: T - DAY + 1,
      guessFailures: [T - 3600_000, T - 3599_999],
      loginFailures: [T - 900_000, T - 899_999],
      lockedUntil: T,
      tokens: { old: { purpose: "login", expiresAt: T }, live: { purpose: "login", expiresAt: T + 1 } },
      pending: { old: { purpose: "login", sentAt: T - 300_000 }, live: { purpose: "login", sentAt: T - 299_999 } },
      codes: { login: { id: "a", expiresAt: T, attempts: 0, status: "active" }, register: { id: "b", expiresAt: T + 1, attempts: 0, status: "active" } },
    });
    const before = structuredClone(stored);
    expect(phoneAt(stored, settings, T)).toEqual({
      sends: [T - DAY + 1],
      lastSendAt: T - DAY + 1,
      guessFailures: [T - 3599_999],
      loginFailures: [T - 899_999],
      tokens: { live: { purpose: "login", expiresAt: T + 1 } },
      pending: { live: { purpose: "login", sentAt: T - 299_999 } },
      codes: { register: { id: "b", expiresAt: T + 1, attempts: 0, status: "active" } },
    });
    expect(stored).toEqual(before);
  });

  it("keeps a burned code past its expiry until a new code may be sent", () => {
    const burned = phone({
      sends: [T, T + 60_000],
      lastSendAt: T + 60_000,
      codes: { login: { id: "a", expiresAt: T + 360_000, attempts: 5, status: "burned" } },
    });
    // The daily cap (2) holds until T + 24 h: the burned code keeps answering "too many attempts".
    expect(phoneAt(burned, settings, T + 400_000).codes.login?.status).toBe("burned");
    expect(phoneAt(burned, settings, T + DAY).codes.login).toBeUndefined();
  });

  it("is empty when nothing is left, and an empty phone is deleted rather than stored", () => {
    expect(isPhoneEmpty(phoneAt(undefined, settings, T))).toBe(true);
    expect(isPhoneEmpty(phoneAt(phone({ sends: [T - DAY], lastSendAt: T - DAY }), settings, T))).toBe(true);
    expect(isPhoneEmpty(phone({ lastSendAt: T }))).toBe(false);
    expect(isPhoneEmpty(phone({ tokens: { j: { purpose: "login", expiresAt: T } } }))).toBe(false);
  });
});
