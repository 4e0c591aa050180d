import type { EventStore, Inbox } from '@eventfold/core';
import type { PostgresEventStore, PostgresInbox, PostgresPool, PostgresPoolClient } from '@eventfold/store-postgres';
import type pg from 'pg';
import { describe, expectTypeOf, it } from 'vitest';

describe('postgresEventStore types', () => {
  it('implements EventStore and only widens it', () => {
    expectTypeOf<PostgresEventStore>().toExtend<EventStore>();
    expectTypeOf<PostgresEventStore['append']>().toEqualTypeOf<EventStore['append']>();
    expectTypeOf<PostgresEventStore['readAll']>().toEqualTypeOf<EventStore['readAll']>();
    expectTypeOf<PostgresInbox>().toExtend<Inbox>();
  });

  it('accepts pg’s own Pool and PoolClient through the structural types', () => {
    expectTypeOf<pg.Pool>().toExtend<PostgresPool>();
    expectTypeOf<pg.PoolClient>().toExtend<PostgresPoolClient>();
  });
});
