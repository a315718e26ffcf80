import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EVENT_SINKS, type EventSink } from "../../src/events/sinks";
import type { DomainEvent } from "../../src/events/types";
import { captureSms, get, json, post, uniquePhone } from "../support/helpers";
import { interceptFetch, json as jsonAnswer } from "../support/intercept";
import { fakeWechat, identityAnswer, phoneAnswer, unique, uniqueAppId, wechatEnv } from "../support/wechat";

captureSms();

const events: DomainEvent[] = [];
const sink: EventSink = (_scope, event) => {
  events.push(event);
  return undefined;
};

beforeEach(() => {
  events.length = 0;
  EVENT_SINKS.push(sink);
});

afterEach(() => {
  EVENT_SINKS.splice(EVENT_SINKS.indexOf(sink), 1);
  if (vi.isMockFunction(globalThis.fetch)) vi.mocked(globalThis.fetch).mockRestore();
});

describe("domain events", () => {
  it("WeChat: user.created and user.signed_in with method wechat, identity.linked; a later wx.login signs in with method wechat", async () => {
    const wx = fakeWechat();
    const env = wechatEnv(uniqueAppId());
    const phone = uniquePhone();
    wx.logins.set("a", identityAnswer(unique("openid")));
    wx.phones.set("p", phoneAnswer(phone));
    const { wechatTicket } = await json<{ wechatTicket: string }>(await post("/v1/auth/wechat/login", { code: "a" }, { env }));
    const { user } = await json<{ user: { id: string } }>(await post("/v1/auth/wechat/phone", { phoneCode: "p", wechatTicket }, { env }));
    expect(events.map((e) => [e.type, "method" in e ? e.method : e.type === "identity.linked" ? e.provider : undefined])).toEqual([
      ["user.created", "wechat"],
      ["user.signed_in", "wechat"],
      ["identity.linked", "wechat"],
    ]);
    expect(events[0]).toMatchObject({ userId: user.id, phone: { e164: phone } });
  });

  it("one-tap: user.created and user.signed_in with method one_tap", async () => {
    const phone = uniquePhone();
    interceptFetch(() => jsonAnswer({ Code: "OK", GetMobileResultDTO: { Mobile: phone.slice(3) } }));
    const env = { ONE_TAP_ENABLED: "true", ALIYUN_ACCESS_KEY_ID: "id", ALIYUN_ACCESS_KEY_SECRET: "secret" };
    expect((await post("/v1/auth/one-tap", { accessToken: "t" }, { env })).status).toBe(200);
    expect(events.map((e) => [e.type, "method" in e ? e.method : undefined])).toEqual([
      ["user.created", "one_tap"],
      ["user.signed_in", "one_tap"],
    ]);
  });
});

describe("the contract", () => {
  it("/openapi.json documents every new route and the envelope's optional fallback", async () => {
    const doc = await json<{ paths: Record<string, Record<string, { operationId: string }>>; components: { schemas: Record<string, unknown> } }>(
      await get("/openapi.json"),
    );
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => `${method} ${path} ${op.operationId}`));
    for (const expected of [
      "post /v1/auth/wechat/login wechatLogin",
      "post /v1/auth/wechat/phone wechatPhone",
      "post /v1/auth/one-tap oneTapLogin",
      "get /v1/me/identities listIdentities",
      "post /v1/me/identities/wechat linkWechat",
      "delete /v1/me/identities/wechat unlinkWechat",
    ]) {
      expect(operations).toContain(expected);
    }
    const error = doc.components.schemas.Error as { properties: { error: { properties: Record<string, unknown>; required: string[] } } };
    expect(error.properties.error.properties.fallback).toMatchObject({ enum: ["sms"] });
    expect(error.properties.error.required).not.toContain("fallback");
  });
});
