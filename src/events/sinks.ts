import { auditSink } from "../audit/sink";
import type { RequestScope } from "../platform/scope";
import type { DomainEvent } from "./types";
import { webhookSink } from "./webhooks/sink";

/** A listener for domain events; returns the work to finish after the answer, if any. */
export type EventSink = (scope: RequestScope, event: DomainEvent) => Promise<unknown> | undefined;

/**
 * Everything that listens to domain events, one line each: the audit trail (with the /stats
 * counters and the blocked-range index, src/audit/) and the webhooks (docs/webhooks.md).
 */
export const EVENT_SINKS: EventSink[] = [auditSink, webhookSink];
