/**
 * The registration service as a library: build it in-process from an event store and a transport
 * (tests, the demo), or run `main.ts` to wire it from the environment.
 * @module
 */
export type { KnownUser } from './application/known-users.js';
export type { AdapterConfig, LogLevel, RegistrationServiceConfig } from './config.js';
export { loadConfig } from './config.js';
export type { RegistrationService, RegistrationServiceOptions } from './create-registration-service.js';
export { createRegistrationService } from './create-registration-service.js';
export { TOPIC_PARTITIONS, TOPICS, USER_CREATED_TOPIC } from './domain/events.js';
export type { Infrastructure } from './infrastructure.js';
export { brokerProbe, connectInfrastructure, consumedTopic, publishedTopics } from './infrastructure.js';
