import type { RequestScope } from "../platform/scope";
import type { DomainEvent } from "./types";
import { webhookSink } from "./webhooks/sink";

/** A listener for domain events; returns the work to finish after the answer, if any. */
export type EventSink = (scope: RequestScope, event: DomainEvent) => Promise<unknown> | undefined;

/**
 * Everything that listens to domain events, one line each: the webhooks (docs/webhooks.md); the
 * audit trail adds itself here.
 */
export const EVENT_SINKS: EventSink[] = [webhookSink];
