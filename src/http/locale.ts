/** The languages error messages are written in. */
export type Locale = "zh-CN" | "en";

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
