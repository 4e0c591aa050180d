/**
 * Event sourcing for TypeScript: events with schemas and upcasters, aggregates, repositories
 * with snapshots, command handlers, an outbox relay and idempotent consumers.
 * Everything talks to storage and messaging through the `EventStore` and `Transport` ports;
 * in-memory adapters are included, others live in `@eventfold/store-*` and `@eventfold/transport-*`.
 * @module
 */

export type { Aggregate, AggregateSnapshotOptions, DecidedEvent, DomainEvent } from './aggregate.js';
export { defineAggregate } from './aggregate.js';
export type { AggregateRootOptions, RootCommand } from './aggregate-root.js';
export { AggregateRoot, aggregateRoot } from './aggregate-root.js';
export { checkAppendInput } from './append-input.js';
export type { CheckpointStore } from './checkpoint-store.js';
export type { CommandHandler, CommandHandlerOptions, RejectionRecording } from './command-handler.js';
export { commandHandler } from './command-handler.js';
export type {
  ConsumeContext,
  Consumer,
  ConsumerOptions,
  ConsumerSettings,
  ConsumerStats,
  ConsumerWork,
  ReplayDeadLettersOptions,
} from './consumer.js';
export { consumer, replayDeadLetters } from './consumer.js';
export type { EventfoldErrorCode, EventfoldErrorOptions, ValidationIssue } from './errors.js';
export {
  ConcurrencyError,
  ConfigurationError,
  DomainError,
  DuplicateEventError,
  EventfoldError,
  isConcurrencyError,
  isConfigurationError,
  isDomainError,
  isDuplicateEventError,
  isEventfoldError,
  isStoreUnavailableError,
  isUnknownEventTypeError,
  isValidationError,
  StoreUnavailableError,
  UnknownEventTypeError,
  ValidationError,
} from './errors.js';
export type { EventMetadata, NewEvent, RecordedEvent } from './event.js';
export type {
  CatalogEvent,
  DefineEventOptions,
  EventCatalog,
  EventDefinition,
  EventOf,
  UnknownEventPolicy,
  Upcasters,
} from './event-catalog.js';
export { defineEvent, eventCatalog } from './event-catalog.js';
export type {
  AppendOptions,
  AppendResult,
  EventStore,
  ExpectedVersion,
  ReadAllOptions,
  ReadStreamOptions,
  StoreCapabilities,
} from './event-store.js';
export type { Inbox, InboxOutcome } from './inbox.js';
export { satisfiesExpectedVersion } from './internal/expected-version.js';
export type { Lease, LeaseStore } from './lease-store.js';
export { inMemoryCheckpointStore } from './memory/in-memory-checkpoint-store.js';
export type { InMemoryEventStore, InMemoryEventStoreOptions } from './memory/in-memory-event-store.js';
export { inMemoryEventStore } from './memory/in-memory-event-store.js';
export { inMemoryInbox } from './memory/in-memory-inbox.js';
export { inMemoryLeaseStore } from './memory/in-memory-lease-store.js';
export { inMemorySnapshotStore } from './memory/in-memory-snapshot-store.js';
export type { EnsureTopicOptions, InMemoryTransport, InMemoryTransportOptions } from './memory/in-memory-transport.js';
export { inMemoryTransport } from './memory/in-memory-transport.js';
export type { EventMessage, EventMessageInput } from './message-headers.js';
export { DeadLetterHeaders, eventToMessage, MessageHeaders, messageToEvent } from './message-headers.js';
export type { Position } from './position.js';
export { parsePosition, START } from './position.js';
export type { Projection, ProjectionHandlers, ProjectionOptions, ProjectionRunResult } from './projection.js';
export { projection } from './projection.js';
export { checkReadAllOptions, checkReadStreamOptions } from './read-input.js';
export type { Relay, RelayOptions, RelayRoutes, RelayRunResult } from './relay.js';
export { relay } from './relay.js';
export type { ExecuteOptions, ExecuteResult, LoadedAggregate, Repository, RepositoryOptions } from './repository.js';
export { repository } from './repository.js';
export type { RetryPolicy } from './retry.js';
export { backoffDelay, DEFAULT_RETRY_POLICY, retryPolicy } from './retry.js';
export type { Schema, SchemaInput, SchemaOutput } from './schema.js';
export { validate } from './schema.js';
export type { SnapshotContext, SnapshotPolicy } from './snapshot-policy.js';
export { everyNEvents } from './snapshot-policy.js';
export type { Snapshot, SnapshotStore } from './snapshot-store.js';
export { assertValidStreamId, MAX_STREAM_ID_LENGTH, streamCategory, streamIdOf } from './stream-id.js';
export type {
  Headers,
  IncomingMessage,
  OutgoingMessage,
  PartitionLag,
  SubscribeOptions,
  Subscription,
  Transport,
} from './transport.js';
export { uuidv7 } from './uuid.js';
