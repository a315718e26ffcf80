import { bool, int } from "./parse";
import { baseUrl } from "./wechat";

/**
 * Carrier one-tap through Aliyun Dypnsapi (docs/wechat-and-one-tap.md). Off unless turned on:
 * the routes answer 404 while ONE_TAP_ENABLED is false. The AccessKey pair and the signature
 * version are the Aliyun SMS sender's own settings (ALIYUN_ACCESS_KEY_ID, ALIYUN_ACCESS_KEY_SECRET,
 * ALIYUN_SIGNATURE), read by src/one-tap/dypns.ts like the SMS sender reads them: a missing or bad
 * one makes one-tap answer 503 one_tap_not_configured instead of taking the whole API down.
 */
export const oneTapSettings = {
  ONE_TAP_ENABLED: bool(false),
  ALIYUN_DYPNS_ENDPOINT: baseUrl("https://dypnsapi.aliyuncs.com", true),
  ONE_TAP_TIMEOUT_MS: int(5000, 100, 30000),
};
