import type { WechatIdentity } from "./api";

/**
 * The identifier a WeChat identity is stored and looked up under: its unionid when WeChat gives
 * one (the app is bound to an open platform account), so one person is one user across the
 * company's Mini Programs and apps; its openid otherwise.
 */
export function wechatIdentifier(identity: WechatIdentity): string {
  return identity.unionid ?? identity.openid;
}

/** o6_bm****nXZY: enough for a user to recognise a linked account, not the identifier itself. */
export function maskWechatIdentifier(identifier: string): string {
  if (identifier.length <= 8) return "****";
  return `${identifier.slice(0, 4)}****${identifier.slice(-4)}`;
}
