import { describeEventStoreConformance } from '@eventfold/core/testing';
import { postgresEventStore } from '@eventfold/store-postgres';
import type pg from 'pg';
import { dropSchema, freshSchema, requirePostgresUrl, setupOrFailEach, testPool } from '../test/support.js';

// The core conformance suite against the real server, in a fresh schema dropped at the end.
// Property laws run at 3 times their in-memory defaults (about 25-45 s on a loaded 2-core machine).
const schema = freshSchema('contract');
let pool: pg.Pool | undefined;

setupOrFailEach(async () => {
  await requirePostgresUrl();
});

describeEventStoreConformance(
  'postgresEventStore',
  async () => {
    pool ??= await testPool({ max: 20 });
    return postgresEventStore({ pool, schema });
  },
  {
    numRunsScale: 3,
    concurrency: 16,
    teardown: async () => {
      await pool?.end();
      await dropSchema(schema);
    },
  },
);
