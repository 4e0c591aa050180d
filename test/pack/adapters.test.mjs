// Runs against the packed adapter tarballs, installed as a user would (with their peers), through ESM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isConfigurationError } from '@eventfold/core';
import { mongoEventStore } from '@eventfold/store-mongo';
import { postgresEventStore } from '@eventfold/store-postgres';
import { kafkaTransport } from '@eventfold/transport-kafka';

const factories = { postgresEventStore, mongoEventStore, kafkaTransport };

for (const [name, factory] of Object.entries(factories)) {
  test(`ESM: ${name} loads and rejects missing options with a ConfigurationError core recognises`, () => {
    assert.throws(
      () => factory({}),
      (error) => isConfigurationError(error) && /Option `\w+` is required/.test(error.message),
    );
  });
}
