import { uuidv7 } from '@eventfold/core';
import { describeEventStoreConformance } from '@eventfold/core/testing';
import { mongoEventStore } from '@eventfold/store-mongo';
import { MongoClient } from 'mongodb';
import { requireMongoUrl } from '../../../test/support/services.js';

// A fresh database per run, dropped at teardown. The URL is checked when the first store opens, so
// a missing server fails every test instead of skipping them.
const database = `eventfold_contract_${uuidv7().replaceAll('-', '').slice(-12)}`;
let client: MongoClient | undefined;

async function connect(): Promise<MongoClient> {
  if (client === undefined) {
    client = new MongoClient(await requireMongoUrl(), { serverSelectionTimeoutMS: 10_000, maxPoolSize: 32 });
    await client.connect();
  }
  return client;
}

describeEventStoreConformance('mongoEventStore', async () => mongoEventStore({ client: await connect(), database }), {
  numRunsScale: 0.1,
  concurrency: 8,
  teardown: async () => {
    await client?.db(database).dropDatabase();
    await client?.close();
  },
});
