// Runs against the packed @eventfold/core tarball, installed as a user would, through CommonJS.
const assert = require('node:assert/strict');
const { test } = require('node:test');
const core = require('@eventfold/core');

test('CJS: the package loads and the in-memory store honours expected versions', async () => {
  const store = core.inMemoryEventStore();
  const first = await store.append('order-1', [{ type: 'order.placed', data: { total: 5 } }], { expectedVersion: 0 });
  assert.equal(first.version, 1);
  await assert.rejects(store.append('order-1', [{ type: 'order.placed', data: {} }], { expectedVersion: 0 }), (error) =>
    core.isConcurrencyError(error),
  );
  assert.equal(typeof core.uuidv7(), 'string');
});

test('CJS: errors from the CJS build are recognised by brand, as an ESM copy would be', () => {
  const error = new core.ValidationError('bad', [{ message: 'nope', path: ['x'] }]);
  assert.ok(core.isValidationError(error));
  assert.ok(core.isEventfoldError(error));
});
