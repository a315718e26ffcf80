import { describe, expect, it } from "vitest";
import { CleanupAlarm } from "../../src/limits/cleanup-alarm";

/** Just the storage calls the cleanup alarm makes, recorded. */
function fakeStorage(alarm: number | null = null) {
  const calls: string[] = [];
  let failNext = false;
  const storage = {
    getAlarm: async () => {
      calls.push("getAlarm");
      if (failNext) {
        failNext = false;
        throw new Error("storage unavailable");
      }
      return alarm;
    },
    setAlarm: async (at: number) => {
      calls.push("setAlarm");
      alarm = at;
    },
    deleteAll: async () => {
      calls.push("deleteAll");
      alarm = null;
    },
  };
  return { storage: storage as unknown as DurableObjectStorage, calls, alarm: () => alarm, failNextGet: () => (failNext = true) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("cleanup alarm", () => {
  it("arms once, everyMs ahead, and does not ask storage again until the alarm has run", async () => {
    const fake = fakeStorage();
    const cleanup = new CleanupAlarm(fake.storage, 3600_000);
    const before = Date.now();
    cleanup.ensure();
    cleanup.ensure();
    await settle();
    expect(fake.calls).toEqual(["getAlarm", "setAlarm"]);
    expect(fake.alarm()).toBeGreaterThanOrEqual(before + 3600_000);
    cleanup.ensure();
    await settle();
    expect(fake.calls).toEqual(["getAlarm", "setAlarm"]);
  });

  it("leaves an alarm already set alone", async () => {
    const fake = fakeStorage(123);
    new CleanupAlarm(fake.storage, 1000).ensure();
    await settle();
    expect(fake.calls).toEqual(["getAlarm"]);
    expect(fake.alarm()).toBe(123);
  });

  it("tries again on the next write when arming failed", async () => {
    const fake = fakeStorage();
    const cleanup = new CleanupAlarm(fake.storage, 1000);
    fake.failNextGet();
    cleanup.ensure();
    await settle();
    expect(fake.alarm()).toBeNull();
    cleanup.ensure();
    await settle();
    expect(fake.calls).toEqual(["getAlarm", "getAlarm", "setAlarm"]);
    expect(fake.alarm()).not.toBeNull();
  });

  it("re-arms while the sweep leaves something, deletes the object when it leaves nothing, and arms again after", async () => {
    const fake = fakeStorage();
    const cleanup = new CleanupAlarm(fake.storage, 1000);
    let seen = 0;
    await cleanup.run((now) => {
      seen = now;
      return true;
    });
    expect(fake.calls).toEqual(["setAlarm"]);
    expect(fake.alarm()).toBe(seen + 1000);

    await cleanup.run(() => false);
    expect(fake.calls).toEqual(["setAlarm", "deleteAll"]);
    expect(fake.alarm()).toBeNull();

    cleanup.ensure();
    await settle();
    expect(fake.calls).toEqual(["setAlarm", "deleteAll", "getAlarm", "setAlarm"]);
  });
});
