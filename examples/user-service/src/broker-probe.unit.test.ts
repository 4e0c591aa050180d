import { inMemoryEventStore, inMemoryTransport } from '@eventfold/core';
import { kafkaTransport } from '@eventfold/transport-kafka';
import { expect, it } from 'vitest';
import { createUserService } from './create-user-service.js';
import { brokerProbe } from './infrastructure.js';
import { cheapPasswordHasher } from './test-support.js';

// No broker needed: nothing listens on port 1, so every connection is refused at once.
it('answers /ready with 503 naming the broker when the Kafka broker is unreachable, and shares one probe between concurrent checks', async () => {
  const unreachable = kafkaTransport({ brokers: ['127.0.0.1:1'], clientId: 'probe-test', retry: { retries: 0 }, logLevel: 'nothing' });
  const probe = brokerProbe(unreachable, ['user.created']);
  const first = probe.check();
  expect(probe.check()).toBe(first); // a probe in flight is shared, so a slow broker never piles them up
  await expect(first).rejects.toThrow();

  const store = inMemoryEventStore();
  const transport = inMemoryTransport();
  const service = createUserService({
    store,
    transport,
    passwordHasher: cheapPasswordHasher(),
    log: false,
    readinessChecks: { broker: probe.check },
  });
  await service.start();
  try {
    const ready = await service.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({ status: 'not ready', checks: { store: 'ok', transport: 'ok', broker: 'failed' } });
  } finally {
    await service.stop();
    await probe.close();
    await unreachable.close();
    await transport.close();
    await store.close();
  }
  await expect(probe.check()).rejects.toThrow('closed');
});
