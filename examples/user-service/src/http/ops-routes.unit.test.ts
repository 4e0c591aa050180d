import { inMemoryEventStore, inMemoryTransport } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { createUserService } from '../create-user-service.js';
import { cheapPasswordHasher, failingStore, json, startTestService, validUser } from '../test-support.js';

describe('operations endpoints', () => {
  it('/health answers while the process lives; /ready checks the store and the transport', async () => {
    let storeDown = false;
    const t = await startTestService({ wrapStore: (store) => failingStore(store, { readsFail: () => storeDown }) });
    try {
      expect(json(await t.get('/health'))).toEqual({ status: 'ok' });
      const ready = await t.get('/ready');
      expect(ready.statusCode).toBe(200);
      expect(json(ready)).toEqual({ status: 'ready', checks: { store: 'ok', transport: 'ok' } });
      storeDown = true;
      const notReady = await t.get('/ready');
      expect(notReady.statusCode).toBe(503);
      expect(json(notReady)).toEqual({ status: 'not ready', checks: { store: 'failed', transport: 'ok' } });
      expect((await t.get('/health')).statusCode).toBe(200);
    } finally {
      storeDown = false;
      await t.stop();
    }
  });

  it('/ready fails while the last publish failed', async () => {
    const store = inMemoryEventStore();
    const transport = inMemoryTransport();
    let brokerDown = false;
    const service = createUserService({
      store,
      transport: {
        ...transport,
        publish: (topic, messages) => (brokerDown ? Promise.reject(new Error('broker down')) : transport.publish(topic, messages)),
      },
      passwordHasher: cheapPasswordHasher(),
      log: false,
    });
    await service.start();
    brokerDown = true;
    await service.app.inject({ method: 'POST', url: '/users', payload: validUser() });
    await expect(service.relay.runOnce()).rejects.toThrow('broker down');
    expect(json(await service.app.inject({ url: '/ready' })).checks).toEqual({ store: 'ok', transport: 'failed' });
    brokerDown = false;
    await service.relay.runOnce();
    expect(json(await service.app.inject({ url: '/ready' })).checks).toEqual({ store: 'ok', transport: 'ok' });
    await service.stop();
  });

  it('answers 503 problem details while the store is unavailable', async () => {
    let storeDown = false;
    const t = await startTestService({ wrapStore: (store) => failingStore(store, { readsFail: () => storeDown }) });
    storeDown = true;
    const response = await t.post(validUser());
    storeDown = false;
    await t.stop();
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(json(response)).toMatchObject({ type: 'urn:eventfold:problem:unavailable', status: 503, title: 'Service unavailable' });
  });

  it('/metrics serves Prometheus text: request durations, command outcomes, relay and projection lag, published messages', async () => {
    const t = await startTestService();
    await t.post(validUser());
    await t.post(validUser());
    await t.post({});
    await t.service.settle();
    const response = await t.get('/metrics');
    await t.stop();
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.body;
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*service="user-service"[^}]*\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*method="POST",route="\/users",status_code="201"[^}]*\}/);
    expect(text).toContain('eventfold_commands_total{command="register-user",outcome="accepted",service="user-service"} 1');
    expect(text).toContain('eventfold_commands_total{command="register-user",outcome="conflict",service="user-service"} 1');
    expect(text).toContain('eventfold_commands_total{command="register-user",outcome="invalid",service="user-service"} 1');
    expect(text).toContain('eventfold_relay_lag{name="user-service",service="user-service"} 0');
    expect(text).toContain('eventfold_projection_lag{name="users-by-id",service="user-service"} 0');
    expect(text).toContain('eventfold_messages_published_total{topic="user.created",service="user-service"} 1');
    expect(text).toContain('eventfold_messages_published_total{topic="user.creation-failed",service="user-service"} 2');
    expect(text).toContain('process_cpu_seconds_total{service="user-service"}');
  });

  it('keeps each service instance’s metrics apart', async () => {
    const [first, second] = await Promise.all([startTestService({ name: 'users-a' }), startTestService({ name: 'users-b' })]);
    await first.post(validUser());
    const [a, b] = [(await first.get('/metrics')).body, (await second.get('/metrics')).body];
    await Promise.all([first.stop(), second.stop()]);
    expect(a).toContain('eventfold_commands_total{command="register-user",outcome="accepted",service="users-a"} 1');
    expect(b).not.toContain('eventfold_commands_total{command="register-user"');
    expect(b).not.toContain('users-a');
  });

  it('stops gracefully: finishes requests in flight and relays their events before it returns', async () => {
    const real = cheapPasswordHasher();
    let hashing = false;
    let finishHashing: () => void = () => undefined;
    const t = await startTestService({
      passwordHasher: {
        verify: real.verify,
        async hash(password) {
          hashing = true;
          await new Promise<void>((resolve) => (finishHashing = resolve));
          return real.hash(password);
        },
      },
    });
    const inFlight = t.post(validUser());
    await expect.poll(() => hashing).toBe(true);
    const stopped = t.service.stop();
    expect((await t.get('/ready')).statusCode).toBe(503); // stopping: the load balancer stops sending traffic
    finishHashing();
    await stopped;
    expect((await inFlight).statusCode).toBe(201);
    expect(t.transport.messages('user.created')).toHaveLength(1);
    await t.transport.close();
    await t.store.close();
  });
});
