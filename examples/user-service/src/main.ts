/**
 * Runs the user service: configuration from the environment, adapters wired from it, HTTP, the relay
 * and the users projection; a graceful shutdown on SIGTERM or SIGINT.
 */
import { isConfigurationError } from '@eventfold/core';
import { passwordHasher } from './application/password-hasher.js';
import { loadConfig } from './config.js';
import { createUserService } from './create-user-service.js';
import { connectInfrastructure } from './infrastructure.js';

try {
  const config = loadConfig(process.env);
  const infrastructure = await connectInfrastructure(config.adapters);
  const hasher = passwordHasher({
    argon2id: { memoryKiB: config.argon2MemoryKiB, passes: config.argon2Passes },
    scrypt: { log2Cost: config.scryptLog2Cost },
  });
  const service = createUserService({
    store: infrastructure.store,
    transport: infrastructure.transport,
    allowedEmailDomains: config.emailDomainAllowlist,
    reservationTimeoutMs: config.reservationTimeoutMs,
    passwordHasher: hasher,
    log: { level: config.logLevel },
    readinessChecks: infrastructure.readinessChecks,
    topicPrefix: config.adapters.topicPrefix,
  });
  await service.start();
  await service.listen({ port: config.port, host: config.host });
  if (hasher.fallback !== undefined) service.app.log.warn(hasher.fallback);
  service.app.log.info({ adapters: infrastructure.description, passwordHashing: hasher.scheme }, 'user-service started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.app.log.info({ signal }, 'shutting down');
    // A shutdown that hangs is worse than an abrupt one: the relay re-publishes whatever was not checkpointed.
    setTimeout(() => {
      service.app.log.error(`shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    try {
      await service.stop();
      await infrastructure.close();
      process.exit(0);
    } catch (error) {
      service.app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
} catch (error) {
  console.error(isConfigurationError(error) ? error.message : error);
  process.exit(1);
}
