/**
 * Test kit for Eventfold users and adapter authors: given/when/then helpers for aggregates
 * and command handlers, and the conformance suites every `EventStore` and `Transport`
 * adapter runs in its own tests (they need vitest; the property laws also use fast-check).
 * @module
 */

export type { EventStoreConformanceOptions, EventStoreFactory, EventStoreLaw } from './event-store-conformance.js';
export { describeEventStoreConformance } from './event-store-conformance.js';
export type { Outcome, SeededStore } from './given-when-then.js';
export { domainView, given, givenStreams } from './given-when-then.js';
export type { TransportConformanceOptions, TransportUnderTest } from './transport-conformance.js';
export { describeTransportConformance } from './transport-conformance.js';
