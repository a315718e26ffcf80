import type { ErrorCode } from "./api-error";

export type Locale = "zh-CN" | "en";

const MESSAGES: Record<ErrorCode, Record<Locale, string>> = {
  invalid_request: { "zh-CN": "请求格式不正确", en: "The request is malformed" },
  invalid_phone: { "zh-CN": "手机号码无效或不是手机号", en: "The phone number is invalid or not a mobile number" },
  country_not_allowed: { "zh-CN": "不支持该国家或地区的手机号", en: "Phone numbers from this country or region are not accepted" },
  invalid_code: { "zh-CN": "验证码错误", en: "The verification code is wrong" },
  code_expired: { "zh-CN": "验证码已失效，请重新获取", en: "No valid code: request a new one" },
  password_mismatch: { "zh-CN": "两次输入的密码不一致", en: "The passwords do not match" },
  weak_password: { "zh-CN": "密码强度不足", en: "The password is too weak" },
  unauthorized: { "zh-CN": "未登录或登录已过期", en: "Not signed in, or the session has expired" },
  invalid_verification_token: { "zh-CN": "验证凭证无效或已过期", en: "The verification token is invalid, used or expired" },
  invalid_credentials: { "zh-CN": "手机号或密码错误", en: "Wrong phone number or password" },
  captcha_failed: { "zh-CN": "人机验证失败", en: "The captcha check failed" },
  not_found: { "zh-CN": "接口不存在", en: "No such endpoint" },
  method_not_allowed: { "zh-CN": "不支持该请求方法", en: "Method not allowed" },
  phone_registered: { "zh-CN": "该手机号已注册", en: "This phone number is already registered" },
  password_required: { "zh-CN": "请先设置密码", en: "Set a password first" },
  payload_too_large: { "zh-CN": "请求体过大", en: "The request body is too large" },
  too_many_requests: { "zh-CN": "请求过于频繁，请稍后再试", en: "Too many requests: try again later" },
  too_many_attempts: { "zh-CN": "尝试次数过多，请稍后再试", en: "Too many attempts: try again later" },
  internal_error: { "zh-CN": "服务器内部错误", en: "Internal server error" },
  sms_send_failed: { "zh-CN": "短信发送失败，请稍后再试", en: "The SMS could not be sent: try again later" },
  sms_not_configured: { "zh-CN": "短信服务未配置", en: "SMS delivery is not configured" },
  sms_budget_exhausted: { "zh-CN": "今日短信额度已用完", en: "Today's SMS budget is spent: try again tomorrow" },
};

export function message(code: ErrorCode, locale: Locale): string {
  return MESSAGES[code][locale];
}

/** Picks zh-CN or en from an Accept-Language header by q-value; zh-CN when nothing matches. */
export function pickLocale(header: string | undefined): Locale {
  if (!header) return "zh-CN";
  let best: { locale: Locale; q: number } | undefined;
  for (const part of header.split(",")) {
    const [tag = "", ...params] = part.trim().toLowerCase().split(";");
    const qParam = params.find((p) => p.trim().startsWith("q="));
    const q = qParam ? Number(qParam.trim().slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    const locale: Locale | undefined = tag.startsWith("en") ? "en" : tag.startsWith("zh") ? "zh-CN" : undefined;
    if (locale && (!best || q > best.q)) best = { locale, q };
  }
  return best?.locale ?? "zh-CN";
}
