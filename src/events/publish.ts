import type { RequestScope } from "../platform/scope";
import { EVENT_SINKS } from "./sinks";
import type { DomainEvent } from "./types";

/**
 * Hands an event to every sink, off the critical path: a sink's work runs after the answer
 * (waitUntil) and a sink that throws or rejects is logged, never turned into the caller's error.
 * A sign-in must not fail or slow down because the audit trail or a webhook queue is unwell.
 */
export function publish(scope: RequestScope, event: DomainEvent): void {
  for (const sink of EVENT_SINKS) {
    try {
      const work = sink(scope, event);
      if (work) scope.defer(work);
    } catch (error) {
      scope.log.error("event.sink_failed", error, { type: event.type });
    }
  }
}
