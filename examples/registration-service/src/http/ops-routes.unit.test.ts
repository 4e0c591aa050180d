import { describe, expect, it } from 'vitest';
import { failingStore, json, startTestService } from '../test-support.js';

describe('operations endpoints', () => {
  it('/health is liveness; /ready checks the store and the transport subscription', async () => {
    let storeDown = false;
    const t = await startTestService({ wrapStore: (store) => failingStore(store, { readsFail: () => storeDown }) });
    try {
      expect(json(await t.request('GET', '/health'))).toEqual({ status: 'ok' });
      expect(json(await t.request('GET', '/ready'))).toEqual({ status: 'ready', checks: { store: 'ok', transport: 'ok' } });
      storeDown = true;
      const notReady = await t.request('GET', '/ready');
      expect(notReady.statusCode).toBe(503);
      expect(json(notReady).checks).toEqual({ store: 'failed', transport: 'ok' });
    } finally {
      storeDown = false;
      await t.stop();
    }
  });

  it('answers 503 problem details while the store is unavailable', async () => {
    let storeDown = false;
    const t = await startTestService({ wrapStore: (store) => failingStore(store, { readsFail: () => storeDown }) });
    const conference = await t.conference(5);
    storeDown = true;
    const responses = [
      await t.request('GET', `/conferences/${conference}`),
      await t.request('POST', '/conferences', { title: 'Another', startsAt: '2030-01-01T00:00:00Z', capacity: 1 }),
      await t.request('POST', `/conferences/${conference}/registrations`, { userId: 'u1' }),
    ];
    storeDown = false;
    await t.stop();
    for (const response of responses) {
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(json(response)).toMatchObject({ type: 'urn:eventfold:problem:unavailable', title: 'Service unavailable' });
    }
  });

  it('/metrics: request durations, command outcomes, consumer counters and lag, relay lag', async () => {
    const t = await startTestService();
    const [ada, bob] = await t.knownUsers(2);
    const conference = await t.conference(1);
    await t.request('POST', `/conferences/${conference}/registrations`, { userId: ada });
    await t.request('POST', `/conferences/${conference}/registrations`, { userId: ada });
    await t.request('POST', `/conferences/${conference}/registrations`, { userId: bob });
    await t.service.settle();
    const response = await t.request('GET', '/metrics');
    await t.stop();
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.body;
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*service="registration-service"[^}]*\}/);
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{[^}]*method="POST",route="\/conferences\/:id\/registrations",status_code="201"/,
    );
    for (const line of [
      'eventfold_commands_total{command="schedule-conference",outcome="accepted",service="registration-service"} 1',
      'eventfold_commands_total{command="register-for-conference",outcome="accepted",service="registration-service"} 1',
      'eventfold_commands_total{command="register-for-conference",outcome="conflict",service="registration-service"} 1',
      'eventfold_commands_total{command="register-for-conference",outcome="rejected",service="registration-service"} 1',
      'kafka_consumer_records_consumed_total{consumer="registration-service.known-users",service="registration-service"} 2',
      'eventfold_consumer_messages_total{consumer="registration-service.known-users",outcome="handled",service="registration-service"} 2',
      'eventfold_dead_letters_total{consumer="registration-service.known-users",service="registration-service"} 0',
      'eventfold_consumer_lag{consumer="registration-service.known-users",service="registration-service"} 0',
      'eventfold_relay_lag{name="registration-service",service="registration-service"} 0',
      'eventfold_messages_published_total{topic="registration.created",service="registration-service"} 1',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('stops gracefully: the consumer leaves its group and the relay publishes what is left', async () => {
    const t = await startTestService();
    const [ada] = await t.knownUsers(1);
    const conference = await t.conference(1);
    await t.request('POST', `/conferences/${conference}/registrations`, { userId: ada });
    await t.service.stop();
    expect(t.transport.messages('registration.created')).toHaveLength(1);
    expect(await t.service.consumer.lag()).toEqual([]);
    await t.transport.close();
    await t.store.close();
  });
});
