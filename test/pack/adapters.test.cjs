// Runs against the packed adapter tarballs, installed as a user would (with their peers), through CommonJS.
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { isConfigurationError } = require('@eventfold/core');

for (const [pkg, name] of [
  ['@eventfold/store-postgres', 'postgresEventStore'],
  ['@eventfold/store-mongo', 'mongoEventStore'],
  ['@eventfold/transport-kafka', 'kafkaTransport'],
]) {
  test(`CJS: ${name} loads and rejects missing options with a ConfigurationError core recognises`, () => {
    const factory = require(pkg)[name];
    assert.equal(typeof factory, 'function');
    assert.throws(
      () => factory({}),
      (error) => isConfigurationError(error),
    );
  });
}
