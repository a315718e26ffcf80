/**
 * Structured log lines: one JSON object per line, the shape Workers Logs and Logpush filter on.
 * Callers pass masked or hashed phones only; nothing here may carry a code, password or token.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  event(event: string, fields?: LogFields): void;
  error(event: string, error: unknown, fields?: LogFields): void;
}

/**
 * drizzle's DrizzleQueryError message is "Failed query: <sql>\nparams: <values>", and the values
 * are phones, password hashes and session hashes: the SQL (placeholders only) is kept, the
 * values never reach a log.
 */
function withoutParams(message: string): string {
  const at = message.indexOf("\nparams:");
  return at === -1 ? message : `${message.slice(0, at)} [params withheld]`;
}

export function createLogger(requestId?: string): Logger {
  return {
    event(event, fields = {}) {
      console.log(JSON.stringify({ event, requestId, ...fields }));
    },
    error(event, error, fields = {}) {
      const name = error instanceof Error ? error.name : typeof error;
      const message = error instanceof Error ? withoutParams(error.message) : "non-error thrown";
      const cause = error instanceof Error && error.cause instanceof Error ? withoutParams(error.cause.message) : undefined;
      console.error(JSON.stringify({ event, requestId, error: name, message, cause, ...fields }));
    },
  };
}

/**
 * The same logger with `fields` left out of every line. For a request that logs a number range:
 * the range holds exactly the digits a masked phone hides, so no line under the same request id
 * may carry the masked phone (src/codes/issue.ts).
 */
export function withoutFields(log: Logger, fields: readonly string[]): Logger {
  const strip = (given: LogFields = {}) => Object.fromEntries(Object.entries(given).filter(([key]) => !fields.includes(key)));
  return {
    event: (event, given) => log.event(event, strip(given)),
    error: (event, error, given) => log.error(event, error, strip(given)),
  };
}
