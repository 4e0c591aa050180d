/**
 * Runs the registration service: configuration from the environment, adapters wired from it, HTTP,
 * the `user.created` consumer and the relay; a graceful shutdown on SIGTERM or SIGINT.
 */
import { isConfigurationError } from '@eventfold/core';
import { loadConfig } from './config.js';
import { createRegistrationService } from './create-registration-service.js';
import { connectInfrastructure } from './infrastructure.js';

try {
  const config = loadConfig(process.env);
  const infrastructure = await connectInfrastructure(config.adapters);
  const service = createRegistrationService({
    store: infrastructure.store,
    transport: infrastructure.transport,
    log: { level: config.logLevel },
    readinessChecks: infrastructure.readinessChecks,
    topicPrefix: config.adapters.topicPrefix,
  });
  await service.start();
  await service.listen({ port: config.port, host: config.host });
  service.app.log.info({ adapters: infrastructure.description }, 'registration-service started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.app.log.info({ signal }, 'shutting down');
    // A shutdown that hangs is worse than an abrupt one: uncommitted messages are redelivered, unrelayed events re-read.
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
