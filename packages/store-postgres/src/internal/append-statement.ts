import { APPENDER_KEY, appenderObjid } from './migrations.js';
import { epochMs, INDEX_BITS, ident, MAX_EVENTS_PER_TRANSACTION } from './sql.js';

/**
 * The append of an autocommit call: one statement with the same parameters as `append_events`,
 * for the common case (the stream's lock is free, the expected version holds), without a plpgsql
 * call. It returns the first position and version it wrote, or no row when it wrote nothing; the
 * caller then runs `append_events`, which waits for the lock, answers repeats and raises the
 * precise error (see `runAppend`): a second round trip, only for appends that conflict or repeat. Measured on
 * PostgreSQL 15 with one writer: the function costs about a fifth more server CPU per append than
 * this statement (each of its statements goes through SPI, and its `SET` option is saved and
 * restored on every call); calling it from this statement as a fallback branch, even one that never
 * runs, costs about as much again, in setting up the branch for every execution.
 *
 * The order is the function's: the shared appender lock before the transaction has an id (the
 * readAll horizon), then the stream's lock, then the head, then the id (`pg_current_xact_id()`,
 * called in the projection of the one row that passed the locks and checks, so nothing runs
 * early). Only for a transaction without an id yet; in any other case the function decides.
 *
 * Two differences from the function, both caught by the unique indexes and then answered by the
 * caller re-running the append through `append_events`:
 * - The head is read with the statement's snapshot, taken before the stream's lock. A writer
 *   that committed in between is not seen: its (stream_id, version) is, as a unique violation.
 *   (A writer seen in the snapshot committed before this statement began, so it has the
 *   smaller transaction id: versions and positions still increase together.)
 * - Event ids are not looked up first; a stored id is a unique violation of `event_id`. The
 *   function then returns the stored events (a repeat) or raises `DuplicateEventError`. A lookup
 *   here would cost CPU on every append, and a plan prepared while the table was empty scans it.
 *
 * A transaction id past the positions' range overflows the multiplication (SQLSTATE 22003): the
 * function, re-run, reports it as it should.
 */
export function appendStatementSql(schema: string): string {
  const s = ident(schema);
  const expected = '$2::bigint';
  return `with go as materialized (
  select coalesce(l.version, 0) as current, pg_current_xact_id()::text::bigint * ${2 ** INDEX_BITS} as base
    from (select case when pg_current_xact_id_if_assigned() is not null then false
                      when not pg_try_advisory_xact_lock_shared(${APPENDER_KEY}, ${appenderObjid(schema) | 0}) then false
                      else pg_try_advisory_xact_lock(hashtextextended('${schema}' || chr(31) || $1::text, 0)) end as free) as gate
    left join lateral (select e.version from ${s}.events e where e.stream_id = $1::text order by e.version desc limit 1) as l on gate.free
   where gate.free and cardinality($3::text[]) <= ${MAX_EVENTS_PER_TRANSACTION}
     and (${expected} = -1 or (${expected} = -2 and l.version is null) or (${expected} = -3 and l.version is not null)
          or ${expected} = coalesce(l.version, 0))
),
written as (
  insert into ${s}.events (position, version, schema_version, recorded_at, stream_id, event_id, type, data, metadata)
  select go.base + u.ord - 1, go.current + u.ord, u.schema_version, now(), $1::text, u.id, u.type,
         $5::jsonb -> (u.ord::integer - 1), $6::jsonb -> (u.ord::integer - 1)
    from go, unnest($3::text[], $4::text[], $7::integer[]) with ordinality as u(id, type, schema_version, ord)
)
select go.base::text as position, go.current + 1 as version, ${epochMs('now()')} as recorded_ms from go`;
}
