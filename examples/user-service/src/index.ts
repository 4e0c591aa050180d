/**
 * The user service as a library: build it in-process from an event store and a transport
 * (tests, the demo), or run `main.ts` to wire it from the environment.
 * @module
 */
export type { Argon2idParameters, ChosenPasswordHasher, PasswordHasher, ScryptParameters } from './application/password-hasher.js';
export {
  argon2Available,
  argon2idPasswordHasher,
  DEFAULT_ARGON2ID_PARAMETERS,
  DEFAULT_SCRYPT_PARAMETERS,
  passwordHasher,
  scryptPasswordHasher,
} from './application/password-hasher.js';
export type { UserView } from './application/users-projection.js';
export type { AdapterConfig, LogLevel, UserServiceConfig } from './config.js';
export { loadConfig } from './config.js';
export type { UserService, UserServiceOptions } from './create-user-service.js';
export { createUserService } from './create-user-service.js';
export { TOPICS } from './domain/events.js';
export type { Infrastructure } from './infrastructure.js';
export { brokerProbe, connectInfrastructure, publishedTopics, TOPIC_PARTITIONS } from './infrastructure.js';
