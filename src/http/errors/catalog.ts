import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Locale } from "../locale";

interface CatalogEntry {
  status: ContentfulStatusCode;
  "zh-CN": string;
  en: string;
}

/**
 * Every error the API can answer: its stable code, the HTTP status it is always sent with, and
 * its message in each language. The only list of errors: ApiError takes a key of it, the error
 * envelope's schema and the OpenAPI document are built from it, and a code that nothing throws
 * does not belong here.
 */
export const ERROR_CATALOG = {
  invalid_request: { status: 400, "zh-CN": "请求格式不正确", en: "The request is malformed" },
  invalid_phone: { status: 400, "zh-CN": "手机号码无效或不是手机号", en: "The phone number is invalid or not a mobile number" },
  country_not_allowed: { status: 400, "zh-CN": "不支持该国家或地区的手机号", en: "Phone numbers from this country or region are not accepted" },
  invalid_code: { status: 400, "zh-CN": "验证码错误", en: "The verification code is wrong" },
  code_expired: { status: 400, "zh-CN": "验证码已失效，请重新获取", en: "No valid code: request a new one" },
  wechat_code_invalid: { status: 400, "zh-CN": "微信登录凭证无效或已使用，请重试", en: "The WeChat code is invalid or already used: try again" },
  one_tap_token_invalid: { status: 400, "zh-CN": "本机号码认证失败，请改用短信验证码", en: "The carrier token was refused: sign in with an SMS code instead" },
  password_mismatch: { status: 400, "zh-CN": "两次输入的密码不一致", en: "The passwords do not match" },
  weak_password: { status: 400, "zh-CN": "密码强度不足", en: "The password is too weak" },
  unauthorized: { status: 401, "zh-CN": "未登录或登录已过期", en: "Not signed in, or the session has expired" },
  invalid_verification_token: { status: 401, "zh-CN": "验证凭证无效或已过期", en: "The verification token is invalid, used or expired" },
  invalid_refresh_token: {
    status: 401,
    "zh-CN": "刷新令牌无效、已使用或已过期，请重新登录",
    en: "The refresh token is invalid, spent or expired: sign in again",
  },
  invalid_credentials: { status: 401, "zh-CN": "手机号或密码错误", en: "Wrong phone number or password" },
  admin_unauthorized: { status: 401, "zh-CN": "管理员凭证缺失或无效", en: "The admin credential is missing or invalid" },
  account_disabled: { status: 403, "zh-CN": "该账号已被停用", en: "This account is disabled" },
  wechat_ticket_invalid: {
    status: 401,
    "zh-CN": "微信登录凭证无效、已使用或已过期，请重新登录",
    en: "The WeChat ticket is invalid, used or expired: sign in with WeChat again",
  },
  captcha_failed: { status: 403, "zh-CN": "人机验证失败", en: "The captcha check failed" },
  reauthentication_required: { status: 403, "zh-CN": "请重新验证身份后再试", en: "Sign in again (recent authentication required) to do this" },
  not_found: { status: 404, "zh-CN": "接口不存在", en: "No such endpoint" },
  user_not_found: { status: 404, "zh-CN": "用户不存在", en: "No such user" },
  phone_registered: { status: 409, "zh-CN": "该手机号已注册", en: "This phone number is already registered" },
  identity_in_use: { status: 409, "zh-CN": "该微信已绑定其他账号", en: "This WeChat account is linked to another user" },
  password_required: { status: 409, "zh-CN": "请先设置密码", en: "Set a password first" },
  payload_too_large: { status: 413, "zh-CN": "请求体过大", en: "The request body is too large" },
  too_many_requests: { status: 429, "zh-CN": "请求过于频繁，请稍后再试", en: "Too many requests: try again later" },
  too_many_attempts: { status: 429, "zh-CN": "尝试次数过多，请稍后再试", en: "Too many attempts: try again later" },
  internal_error: { status: 500, "zh-CN": "服务器内部错误", en: "Internal server error" },
  sms_send_failed: { status: 502, "zh-CN": "短信发送失败，请稍后再试", en: "The SMS could not be sent: try again later" },
  wechat_unavailable: { status: 502, "zh-CN": "微信服务暂时不可用，请稍后再试", en: "WeChat is unavailable: try again later" },
  one_tap_unavailable: {
    status: 502,
    "zh-CN": "本机号码认证暂时不可用，请改用短信验证码",
    en: "Carrier one-tap is unavailable: sign in with an SMS code instead",
  },
  sms_not_configured: { status: 503, "zh-CN": "短信服务未配置", en: "SMS delivery is not configured" },
  wechat_not_configured: { status: 503, "zh-CN": "微信登录未配置", en: "WeChat sign-in is not configured" },
  one_tap_not_configured: { status: 503, "zh-CN": "本机号码一键登录未配置", en: "Carrier one-tap is not configured" },
  sms_budget_exhausted: { status: 503, "zh-CN": "今日短信额度已用完", en: "Today's SMS budget is spent: try again tomorrow" },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
export type ErrorStatus<C extends ErrorCode = ErrorCode> = (typeof ERROR_CATALOG)[C]["status"];

export const ERROR_CODES = Object.keys(ERROR_CATALOG) as [ErrorCode, ...ErrorCode[]];

export function statusOf<C extends ErrorCode>(code: C): ErrorStatus<C> {
  return ERROR_CATALOG[code].status;
}

export function message(code: ErrorCode, locale: Locale): string {
  return ERROR_CATALOG[code][locale];
}
