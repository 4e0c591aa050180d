// Runs against the packed @eventfold/core tarball, installed as a user would, through ESM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConcurrencyError,
  commandHandler,
  defineAggregate,
  defineEvent,
  eventCatalog,
  inMemoryEventStore,
  isConcurrencyError,
  isValidationError,
  repository,
} from '@eventfold/core';
import { z } from 'zod';

const incremented = defineEvent({ type: 'counter.incremented', schema: z.object({ by: z.number().int().positive() }) });
const counter = defineAggregate({
  name: 'counter',
  events: eventCatalog([incremented]),
  initialState: () => 0,
  evolve: (count, event) => count + event.data.by,
  decide: (command) => [{ type: 'counter.incremented', data: { by: command.by } }],
});

test('ESM: a command runs through a repository on the in-memory store', async () => {
  const store = inMemoryEventStore();
  const increment = commandHandler({
    schema: z.object({ id: z.string(), by: z.number() }),
    repository: repository(counter, { store }),
    aggregateId: (input) => input.id,
  });
  const result = await increment({ id: 'c1', by: 2 });
  assert.equal(result.version, 1);
  assert.equal(result.state, 2);
  const events = await store.readStream('counter-c1');
  assert.deepEqual(
    events.map((event) => [event.type, event.data, event.position]),
    [['counter.incremented', { by: 2 }, 1n]],
  );
  await assert.rejects(increment({ id: 'c1', by: 'x' }), (error) => isValidationError(error));
});

test('ESM: optimistic concurrency is enforced and errors are typed', async () => {
  const store = inMemoryEventStore();
  await store.append('counter-c1', [{ type: 'counter.incremented', data: { by: 1 } }], { expectedVersion: 'no-stream' });
  const error = await store
    .append('counter-c1', [{ type: 'counter.incremented', data: { by: 1 } }], { expectedVersion: 'no-stream' })
    .catch((e) => e);
  assert.ok(error instanceof ConcurrencyError);
  assert.ok(isConcurrencyError(error));
  assert.equal(error.code, 'CONCURRENCY');
  assert.equal(error.actual, 1);
});
