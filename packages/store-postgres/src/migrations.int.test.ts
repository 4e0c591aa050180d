import { isConfigurationError, isValidationError, uuidv7 } from '@eventfold/core';
import { migrationSql, postgresEventStore } from '@eventfold/store-postgres';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchema, requirePostgresUrl, setupOrFailEach, testPool } from '../test/support.js';

const schemas: string[] = [];
let pool: pg.Pool;

setupOrFailEach(async () => {
  await requirePostgresUrl();
  pool = await testPool({ max: 12 });
});

afterAll(async () => {
  await pool?.end();
  for (const schema of schemas) await dropSchema(schema);
});

function newSchema(label: string): string {
  const schema = freshSchema(label);
  schemas.push(schema);
  return schema;
}

describe('migrate()', () => {
  it('creates the schema once when several processes migrate at the same moment', async () => {
    const schema = newSchema('migrate');
    const stores = Array.from({ length: 6 }, () => postgresEventStore({ pool, schema }));
    const results = await Promise.all(stores.map((store) => store.migrate()));
    expect(results.filter((result) => result.applied.length > 0)).toHaveLength(1);
    for (const result of results) expect(result.toVersion).toBe(1);
    const { rows } = await pool.query(`select version from "${schema}".migrations order by version`);
    expect(rows).toEqual([{ version: 1 }]);
    expect(await stores[0]?.migrate()).toEqual({ fromVersion: 1, toVersion: 1, applied: [] });
    await Promise.all(stores.map((store) => store.close()));
  });

  it('runs by itself before the first operation (option migrate defaults to true)', async () => {
    const schema = newSchema('auto');
    const store = postgresEventStore({ pool, schema });
    expect(await store.readStream('user-1')).toEqual([]);
    const { rows } = await pool.query('select count(*)::int as n from information_schema.schemata where schema_name = $1', [schema]);
    expect(rows[0].n).toBe(1);
    await store.close();
  });

  it('with migrate: false, a missing schema is a ConfigurationError that says what to do', async () => {
    const store = postgresEventStore({ pool, schema: newSchema('missing'), migrate: false });
    const error = await store.append('user-1', [{ type: 'user.registered', data: {} }]).catch((caught: unknown) => caught);
    expect(isConfigurationError(error), String(error)).toBe(true);
    expect((error as Error).message).toContain('migrate()');
    await store.close();
  });
});

describe('migrationSql()', () => {
  it('prints a script a DBA can apply, after which a store runs with migrate: false', async () => {
    const schema = newSchema('dba');
    const script = migrationSql({ schema });
    expect(script).toContain('pg_advisory_xact_lock');
    expect(script).toContain(`create table "${schema}".events`);
    await pool.query(script);
    const store = postgresEventStore({ pool, schema, migrate: false });
    const { version } = await store.append(`user-${uuidv7()}`, [{ type: 'user.registered', data: { ok: true } }]);
    expect(version).toBe(1);
    expect(await store.migrate()).toEqual({ fromVersion: 1, toVersion: 1, applied: [] });
    expect(migrationSql({ schema, fromVersion: 1 })).not.toContain(`create table "${schema}".events`);
    await store.close();
  });
});

describe('options', () => {
  it('rejects a missing pool, both pool and connectionString, and a bad schema name with ConfigurationError', () => {
    const attempts = [
      () => postgresEventStore({}),
      () => postgresEventStore({ pool, connectionString: 'postgres://x' }),
      () => postgresEventStore({ pool, schema: 'Bad-Name' }),
      () => postgresEventStore({ pool, maxEventBytes: 0 }),
      () => migrationSql({ schema: 'drop table x;' }),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(isConfigurationError(caught), String(caught)).toBe(true);
      expect((caught as Error).message).toMatch(/^\[@eventfold\/store-postgres\] /);
    }
    let missing: unknown;
    try {
      postgresEventStore({});
    } catch (error) {
      missing = error;
    }
    expect((missing as Error).message).toContain('Option `pool` is required: pass a pg Pool');
  });

  it('works with a schema name of the longest allowed length (48), all statements on one connection', async () => {
    const base = newSchema('long');
    const schema = `${base}_${'x'.repeat(47 - base.length)}`;
    schemas.push(schema);
    expect(schema).toHaveLength(48);
    const single = await testPool({ max: 1 });
    const store = postgresEventStore({ pool: single, schema });
    try {
      const appended = await store.append('order-1', [
        { type: 'order.placed', data: { n: 1 } },
        { type: 'order.placed', data: { n: 2 } },
      ]);
      expect(await store.readStream('order-1')).toEqual(appended.events);
      expect(await store.readStream('order-1', { direction: 'backward' })).toEqual([...appended.events].reverse());
      expect(await store.readAll({ after: 0n })).toEqual(appended.events);
      expect((await store.visibilityLag()).hiddenEvents).toBe(0);
      expect(await store.visibilityBlockers()).toEqual([]);
    } finally {
      await store.close();
      await single.end();
    }
  });

  it('opens and ends a pool of its own from connectionString', async () => {
    const store = postgresEventStore({ connectionString: await requirePostgresUrl(), schema: newSchema('own') });
    await store.append('user-1', [{ type: 'user.registered', data: {} }]);
    await store.close();
    const error = await store.pool.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
  });
});

describe('bad input writes nothing', () => {
  it('rejects an event whose data and metadata exceed maxEventBytes before sending it', async () => {
    const store = postgresEventStore({ pool, schema: newSchema('limits'), maxEventBytes: 1_000 });
    const streamId = `user-${uuidv7()}`;
    const big = { text: 'é'.repeat(600) }; // 1,200 bytes of UTF-8, 600 UTF-16 units
    const error = await store
      .append(streamId, [
        { type: 'user.registered', data: { small: true } },
        { type: 'user.renamed', data: big },
      ])
      .catch((caught: unknown) => caught);
    expect(isValidationError(error), String(error)).toBe(true);
    expect((error as Error).message).toContain('maxEventBytes');
    expect(await store.readStream(streamId)).toEqual([]);
    await store.append(streamId, [{ type: 'user.registered', data: { text: 'é'.repeat(400) } }]);
    await store.close();
  });

  it('rejects data PostgreSQL cannot store (a NUL character) with ValidationError, writing nothing of the batch', async () => {
    const store = postgresEventStore({ pool, schema: newSchema('nul') });
    const streamId = `user-${uuidv7()}`;
    const error = await store
      .append(streamId, [
        { type: 'user.registered', data: { ok: 1 } },
        { type: 'user.renamed', data: { name: 'a\u0000b' } },
      ])
      .catch((caught: unknown) => caught);
    expect(isValidationError(error), String(error)).toBe(true);
    expect(await store.readStream(streamId)).toEqual([]);
    await store.close();
  });

  it('accepts any event type: the event catalog, not the store, decides which types exist', async () => {
    const store = postgresEventStore({ pool, schema: newSchema('types') });
    const { events } = await store.append(`user-${uuidv7()}`, [{ type: 'never.declared.anywhere', data: {} }]);
    expect(events[0]?.type).toBe('never.declared.anywhere');
    await store.close();
  });
});
