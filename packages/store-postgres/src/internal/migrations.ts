import { INDEX_BITS, ident, MAX_TRANSACTION_ID } from './sql.js';

/** One versioned step of the schema. Applied in order, once, and recorded in `<schema>.migrations`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  sql(schema: string): string;
}

// Custom SQLSTATEs raised by the append function (class ZE is unused by PostgreSQL); classify-error.ts maps them.
export const SQLSTATE = {
  concurrency: 'ZE001',
  duplicateEvent: 'ZE002',
  streamMovedPast: 'ZE003',
  positionsExhausted: 'ZE004',
  tooManyEvents: 'ZE005',
  appendAfterWrite: 'ZE006',
} as const;

/** First key of the appender lock (two-int4 advisory key space): "EVF1". */
export const APPENDER_KEY = 0x45564631;

/** Second key of a schema's appender lock: FNV-1a of the schema name, as PostgreSQL shows it in pg_locks.objid. */
export function appenderObjid(schema: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < schema.length; index++) {
    hash ^= schema.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The transaction-local setting that marks a transaction as holding the appender lock. */
export function appenderSetting(schema: string): string {
  return `eventfold_${schema}.appender`;
}

/**
 * Function option of every plpgsql function that reads the store's tables. plpgsql caches a plan
 * per statement and keeps it until the table is analysed; planned while the table was nearly
 * empty, it can be a sequential scan that then grows with the table. Measured on a new schema:
 * an append went from 0.55 ms to 1.9 ms in 9 s, until autovacuum's ANALYZE; with this option it
 * stayed near 0.1 ms. Every statement of these functions is meant to use an index anyway.
 */
const INDEX_ONLY = 'set enable_seqscan = off';

/** CTEs over one read of pg_locks: `own_xids` (each transaction's own xid lock) and `appenders` (xids of the appender lock's holders). */
function LOCK_CTES(schema: string): string {
  return `locks as materialized (
    select locktype, database, classid, objid, objsubid, virtualtransaction, transactionid, mode, granted from pg_locks
  ),
  own_xids as (
    select virtualtransaction, transactionid::text::bigint as xid32
      from locks where locktype = 'transactionid' and granted and mode = 'ExclusiveLock'
  ),
  appenders as (
    select o.xid32 from locks a join own_xids o on o.virtualtransaction = a.virtualtransaction
     where a.locktype = 'advisory' and a.granted and a.classid = ${APPENDER_KEY}::oid and a.objid = ${appenderObjid(schema)}::oid
       and a.objsubid = 2 and a.database = (select d.oid from pg_database d where d.datname = current_database())
  )`;
}

const initial: Migration = {
  version: 1,
  name: 'events, snapshots, checkpoints, inbox, leases; append and inbox functions',
  sql(schema) {
    const s = ident(schema);
    const span = 2 ** INDEX_BITS;
    return `
-- The log. position = transaction id (xid8) * 2^${INDEX_BITS} + index of the event within its transaction,
-- so ordering by position is ordering by (transaction id, index) and readers can hold back
-- everything at or above the oldest running transaction (see readAll).
create table ${s}.events (
  position bigint primary key,
  version integer not null,
  schema_version integer not null,
  recorded_at timestamptz not null,
  stream_id text not null,
  event_id text not null,
  type text not null,
  data jsonb not null,
  metadata jsonb not null,
  constraint events_stream_version_key unique (stream_id, version),
  constraint events_event_id_key unique (event_id)
);

create table ${s}.snapshots (
  stream_id text primary key,
  version integer not null,
  schema_version integer not null,
  taken_at timestamptz not null,
  state jsonb not null
);

create table ${s}.checkpoints (
  name text primary key,
  position bigint not null,
  updated_at timestamptz not null default now()
);

create table ${s}.inbox (
  consumer text not null,
  message_id text not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, message_id)
);

create table ${s}.leases (
  name text primary key,
  owner text not null,
  expires_at timestamptz not null
);

-- The horizon: the first position readers may not return yet. Every transaction that appends
-- holds the shared "appender" advisory lock from before it gets a transaction id until it ends, so
-- an event can only commit below the horizon if its transaction held that lock when the horizon
-- was computed. The horizon is the oldest of: the snapshot's xmax (ids at or above it had not
-- started); the running transactions that hold the appender lock; and the running transactions
-- whose own transaction-id lock was not in the lock table (PostgreSQL publishes a new xid a moment
-- before it inserts that lock, so such a transaction may be an appender we cannot recognise yet).
-- Those are looked at again: the ones that have ended, or that now have their lock but not the
-- appender lock, do not count. Transactions that never append (autovacuum, reports, other
-- applications) do not hold readers back. pg_locks shows 32-bit xids; the snapshot's running list
-- has the 64-bit ones. The caller must read events with a snapshot taken after this function
-- returns (a later statement): an appender that ended after the first snapshot but before it was
-- looked at is then visible to that later statement.
create function ${s}.horizon() returns bigint
language plpgsql
as $fn$
declare
  v_horizon bigint;
  v_unlocked bigint[];
  v_unlocked_min bigint;
begin
  with snap as (select pg_current_snapshot() as s),
  ${LOCK_CTES(schema)},
  running as (select x::text::bigint as xid from snap, pg_snapshot_xip(snap.s) as x)
  select least(
      (select pg_snapshot_xmax(snap.s)::text::bigint from snap),
      (select min(r.xid) from running r where r.xid % 4294967296 in (select xid32 from appenders)),
      -- Under repeatable read the reading snapshot is this one: nothing running in it may be passed.
      (select pg_snapshot_xmin(snap.s)::text::bigint from snap where current_setting('transaction_isolation') <> 'read committed')),
    (select array_agg(r.xid) from running r where r.xid % 4294967296 not in (select xid32 from own_xids))
    into v_horizon, v_unlocked;
  if v_unlocked is not null then
    select array_agg(x) into v_unlocked from unnest(v_unlocked) as x where pg_xact_status(x::text::xid8) = 'in progress';
  end if;
  if v_unlocked is not null then
    with ${LOCK_CTES(schema)}
    select min(x) into v_unlocked_min from unnest(v_unlocked) as x
     where x % 4294967296 in (select xid32 from appenders) or x % 4294967296 not in (select xid32 from own_xids);
    v_horizon := least(v_horizon, v_unlocked_min);
  end if;
  return v_horizon << ${INDEX_BITS};
end;
$fn$;

-- Declares the calling transaction an appender (see horizon()). Must run before the transaction
-- writes anything; append_events calls it, and store.transaction() runs it right after BEGIN.
create function ${s}.begin_appends() returns void
language plpgsql
as $fn$
begin
  if current_setting('${appenderSetting(schema)}', true) is distinct from 'on' then
    if pg_current_xact_id_if_assigned() is not null then
      raise exception using errcode = '${SQLSTATE.appendAfterWrite}',
        message = 'append in a transaction that already wrote: call ${schema}.begin_appends() first in the transaction, or use store.transaction()';
    end if;
    perform pg_advisory_xact_lock_shared(${APPENDER_KEY}, ${appenderObjid(schema) | 0});
    perform set_config('${appenderSetting(schema)}', 'on', true);
  end if;
end;
$fn$;

-- Appends a batch to one stream in one call: takes the stream's lock, answers a repeat of stored
-- event ids with the stored events (r_repeat, a JSON array), checks the expected version and
-- writes. p_expected: >= 0 exact version, -1 any, -2 no-stream, -3 exists. p_data and p_metadata
-- are JSON arrays with one element per event. It does not NOTIFY: a transaction that notifies
-- holds PostgreSQL's notify-queue lock through its commit's WAL flush, which serialises the
-- commits of all appenders. The store notifies after commit instead (see the README).
create function ${s}.append_events(
  p_stream_id text,
  p_expected bigint,
  p_ids text[],
  p_types text[],
  p_data jsonb,
  p_metadata jsonb,
  p_schema_versions integer[],
  out r_position bigint,
  out r_version integer,
  out r_recorded_at timestamptz,
  out r_repeat jsonb
)
language plpgsql
${INDEX_ONLY}
as $fn$
declare
  v_count integer := cardinality(p_ids);
  v_first_write boolean := pg_current_xact_id_if_assigned() is null;
  v_lock_key bigint;
  v_found_any boolean;
  v_found integer;
  v_first_found integer;
  v_same_stream boolean;
  v_min_offset bigint;
  v_max_offset bigint;
  v_current integer;
  v_last_position bigint;
  v_xid bigint;
  v_base bigint;
  v_next bigint := 0;
begin
  -- Inline begin_appends(): the appender lock comes before this transaction gets an id.
  if current_setting('${appenderSetting(schema)}', true) is distinct from 'on' then
    if not v_first_write then
      raise exception using errcode = '${SQLSTATE.appendAfterWrite}',
        message = 'append in a transaction that already wrote: call ${schema}.begin_appends() first in the transaction, or use store.transaction()';
    end if;
    perform pg_advisory_xact_lock_shared(${APPENDER_KEY}, ${appenderObjid(schema) | 0}), set_config('${appenderSetting(schema)}', 'on', true);
  end if;

  -- One writer per stream at a time, until commit. Taken before an autocommit append gets its
  -- transaction id, so it always gets a larger id (hence larger positions) than the append it
  -- waited for: a stream's versions and positions increase together.
  v_lock_key := hashtextextended('${schema}' || chr(31) || p_stream_id, 0);
  if not pg_try_advisory_xact_lock(v_lock_key) then
    -- Contended: if the committed stream already rules this append out (and it is no repeat),
    -- fail now instead of queueing behind the writers ahead, each of whom commits first.
    select exists (select 1 from ${s}.events e where e.event_id = any(p_ids)), l.version
      into v_found_any, v_current
      from (select 1) as one
      left join lateral (select e.version from ${s}.events e where e.stream_id = p_stream_id order by e.version desc limit 1) as l on true;
    v_current := coalesce(v_current, 0);
    if not v_found_any and not (p_expected = -1 or (p_expected = -2 and v_current = 0) or (p_expected = -3 and v_current > 0) or p_expected = v_current) then
      raise exception using errcode = '${SQLSTATE.concurrency}', message = 'stream is not at the expected version', detail = v_current::text;
    end if;
    perform pg_advisory_xact_lock(v_lock_key);
  end if;

  -- Both read after the lock (a new statement, so a new snapshot): the writer it waited for has committed.
  select exists (select 1 from ${s}.events e where e.event_id = any(p_ids)), l.version, l.position
    into v_found_any, v_current, v_last_position
    from (select 1) as one
    left join lateral (select e.version, e.position from ${s}.events e where e.stream_id = p_stream_id order by e.version desc limit 1) as l on true;
  if v_found_any then
    select count(*)::integer, min(u.ord)::integer, bool_and(e.stream_id = p_stream_id), min(e.version - u.ord), max(e.version - u.ord)
      into v_found, v_first_found, v_same_stream, v_min_offset, v_max_offset
      from unnest(p_ids) with ordinality as u(id, ord)
      join ${s}.events e on e.event_id = u.id;
    if v_found = v_count and v_same_stream and v_min_offset = v_max_offset then
      select max(e.position), max(e.version), jsonb_agg(jsonb_build_object(
          'position', e.position::text, 'version', e.version, 'event_id', e.event_id, 'type', e.type,
          'schema_version', e.schema_version, 'data', e.data, 'metadata', e.metadata,
          'recorded_ms', floor(extract(epoch from e.recorded_at) * 1000)::text) order by e.version)
        into r_position, r_version, r_repeat
        from ${s}.events e where e.event_id = any(p_ids);
      return;
    end if;
    raise exception using errcode = '${SQLSTATE.duplicateEvent}', message = 'event id already stored elsewhere', detail = p_ids[v_first_found];
  end if;

  v_current := coalesce(v_current, 0);
  if not (p_expected = -1 or (p_expected = -2 and v_current = 0) or (p_expected = -3 and v_current > 0) or p_expected = v_current) then
    raise exception using errcode = '${SQLSTATE.concurrency}', message = 'stream is not at the expected version', detail = v_current::text;
  end if;

  v_xid := pg_current_xact_id()::text::bigint;
  if v_xid > ${MAX_TRANSACTION_ID} then
    raise exception using errcode = '${SQLSTATE.positionsExhausted}', message = 'transaction ids no longer fit in positions', detail = v_xid::text;
  end if;
  v_base := v_xid << ${INDEX_BITS};
  if not v_first_write then
    -- Only in an explicit transaction that got its id before another one appended to this stream
    -- and committed: appending now would put a later version at an earlier position.
    if v_last_position >= v_base + ${span} then
      raise exception using errcode = '${SQLSTATE.streamMovedPast}', message = 'stream was appended to by a later transaction', detail = v_current::text;
    end if;
    -- A later append in the same transaction continues its index.
    select max(e.position) - v_base + 1 into v_next from ${s}.events e where e.position >= v_base and e.position < v_base + ${span};
    v_next := coalesce(v_next, 0);
    if v_next + v_count > ${span} then
      raise exception using errcode = '${SQLSTATE.tooManyEvents}', message = 'too many events in one transaction', detail = (v_next + v_count)::text;
    end if;
  elsif v_count > ${span} then
    raise exception using errcode = '${SQLSTATE.tooManyEvents}', message = 'too many events in one transaction', detail = v_count::text;
  end if;

  r_position := v_base + v_next;
  r_version := v_current + 1;
  r_recorded_at := now();
  insert into ${s}.events (position, version, schema_version, recorded_at, stream_id, event_id, type, data, metadata)
    select r_position + u.ord - 1, v_current + u.ord, u.schema_version, r_recorded_at, p_stream_id, u.id, u.type,
           p_data -> (u.ord::integer - 1), p_metadata -> (u.ord::integer - 1)
      from unnest(p_ids, p_types, p_schema_versions) with ordinality as u(id, type, schema_version, ord);
end;
$fn$;

-- The log after a position, up to the horizon. The events are read by a statement that starts
-- after horizon() returned (see there); a null filter means no filter.
create function ${s}.read_all(p_after bigint, p_limit integer, p_categories text[], p_types text[])
returns setof ${s}.events
language plpgsql
${INDEX_ONLY}
as $fn$
declare
  v_horizon bigint := ${s}.horizon();
begin
  return query
    select * from ${s}.events e
     where e.position > p_after and e.position < v_horizon
       and (p_categories is null or split_part(e.stream_id, '-', 1) = any(p_categories))
       and (p_types is null or e.type = any(p_types))
     order by e.position
     limit p_limit;
end;
$fn$;

-- The newest position readers can see now (0 when none).
create function ${s}.head_position() returns bigint
language plpgsql
${INDEX_ONLY}
as $fn$
declare
  v_horizon bigint := ${s}.horizon();
  v_head bigint;
begin
  select e.position into v_head from ${s}.events e where e.position < v_horizon order by e.position desc limit 1;
  return coalesce(v_head, 0);
end;
$fn$;

-- Serialises the handling of one message by one consumer across processes (until commit) and tells
-- whether it is still to be done; with p_record, also records it as done in this transaction.
create function ${s}.inbox_claim(p_consumer text, p_message_id text, p_record boolean) returns boolean
language plpgsql
${INDEX_ONLY}
as $fn$
begin
  perform pg_advisory_xact_lock(hashtextextended('${schema}' || chr(31) || 'i' || chr(31) || p_consumer || chr(31) || p_message_id, 0));
  if exists (select 1 from ${s}.inbox i where i.consumer = p_consumer and i.message_id = p_message_id) then
    return false;
  end if;
  if p_record then
    insert into ${s}.inbox (consumer, message_id) values (p_consumer, p_message_id);
  end if;
  return true;
end;
$fn$;
`;
  },
};

/** Every migration, oldest first. Append new ones; never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [initial];

/** The newest schema version this package knows. */
export const LATEST_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
