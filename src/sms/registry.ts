import { ApiError } from "../http/errors/api-error";
import type { SmsProviderName } from "../platform/config";
import type { Logger } from "../platform/log";
import { aliyunProvider } from "./aliyun/sender";
import { consoleSender } from "./console";
import { ronglianProvider } from "./ronglian/sender";
import { tencentProvider } from "./tencent/sender";
import type { ProviderSetup, SmsSender } from "./types";

type ProviderFactory = (env: Record<string, unknown>) => ProviderSetup;

const FACTORIES: Record<SmsProviderName, ProviderFactory> = {
  console: () => ({ ok: true, sender: consoleSender }),
  aliyun: aliyunProvider,
  ronglian: ronglianProvider,
  tencent: tencentProvider,
};

const setups = new WeakMap<object, Map<SmsProviderName, ProviderSetup>>();

/** Each configured provider's setup, parsed once per environment object. */
export function providerSetups(env: object, names: readonly SmsProviderName[]): Map<SmsProviderName, ProviderSetup> {
  let cached = setups.get(env);
  if (!cached) {
    // Provider settings are read by name from the bindings object, like the rest of the config.
    const settings = env as Record<string, unknown>;
    cached = new Map(names.map((name) => [name, FACTORIES[name](settings)]));
    setups.set(env, cached);
  }
  return cached;
}

/** The senders to try, in order; 503 sms_not_configured when any configured provider is broken. */
export function resolveSenders(env: object, names: readonly SmsProviderName[], log: Logger): SmsSender[] {
  const senders: SmsSender[] = [];
  for (const [name, setup] of providerSetups(env, names)) {
    if (!setup.ok) {
      log.event("sms.not_configured", { provider: name, problems: setup.problems.join(", ") });
      throw new ApiError("sms_not_configured");
    }
    senders.push(setup.sender);
  }
  return senders;
}
