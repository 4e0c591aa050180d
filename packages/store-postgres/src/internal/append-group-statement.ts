import { APPENDER_KEY, appenderObjid } from './migrations.js';
import { epochMs, INDEX_BITS, ident, MAX_EVENTS_PER_TRANSACTION } from './sql.js';

/**
 * Several autocommit appends, to distinct streams, in one statement and one transaction: what the
 * store sends when appends queue up behind the ones in flight (see append-groups.ts). Each append
 * is checked on its own, as in append-statement.ts, and only those that pass are written; the
 * statement returns a row (`app`, 1-based, and the first position and version) for each written
 * append. The caller re-runs every other append alone. As there, a unique violation (a repeat, an
 * id stored elsewhere or in another append of the group, a writer that committed after the
 * snapshot) fails the whole statement with nothing written, and the caller re-runs them all alone.
 *
 * Parameters: $1 stream ids, $2 expected-version codes, $3 the 1-based index in the event arrays of
 * each append's first event, all one per append; $4 the append (1-based) of each event, $5 ids,
 * $6 types, $7 data (one JSON array), $8 metadata (one JSON array), $9 schema versions, all one per
 * event, the appends' events one after the other.
 *
 * The order is the single statement's: the shared appender lock before the transaction has an id,
 * then each stream's lock and head, then the id. The count over `checked` makes every lock and
 * check happen before `pg_current_xact_id()` assigns it.
 */
export function appendGroupStatementSql(schema: string): string {
  const s = ident(schema);
  return `with gate as materialized (
  select pg_current_xact_id_if_assigned() is null
     and pg_try_advisory_xact_lock_shared(${APPENDER_KEY}, ${appenderObjid(schema) | 0}) as open
),
appends as materialized (
  select a.app::integer as app, a.stream_id, a.expected, a.first_event,
         case when gate.open then pg_try_advisory_xact_lock(hashtextextended('${schema}' || chr(31) || a.stream_id, 0)) else false end as free
    from gate, unnest($1::text[], $2::bigint[], $3::integer[]) with ordinality as a(stream_id, expected, first_event, app)
),
checked as materialized (
  select p.app, p.stream_id, p.first_event, coalesce(l.version, 0) as current
    from appends p
    left join lateral (select e.version from ${s}.events e where e.stream_id = p.stream_id order by e.version desc limit 1) as l on p.free
   where p.free
     and (p.expected = -1 or (p.expected = -2 and l.version is null) or (p.expected = -3 and l.version is not null)
          or p.expected = coalesce(l.version, 0))
),
base as materialized (
  select pg_current_xact_id()::text::bigint * ${2 ** INDEX_BITS} as base
    from (select count(*) as passed from checked) as settled
   where settled.passed > 0 and cardinality($5::text[]) <= ${MAX_EVENTS_PER_TRANSACTION}
),
written as (
  insert into ${s}.events (position, version, schema_version, recorded_at, stream_id, event_id, type, data, metadata)
  select b.base + u.ord - 1, c.current + u.ord - c.first_event + 1, u.schema_version, now(), c.stream_id, u.id, u.type,
         $7::jsonb -> (u.ord::integer - 1), $8::jsonb -> (u.ord::integer - 1)
    from base b,
         unnest($4::integer[], $5::text[], $6::text[], $9::integer[]) with ordinality as u(app, id, type, schema_version, ord)
    join checked c on c.app = u.app
)
select c.app, (b.base + c.first_event - 1)::text as position, c.current + 1 as version, ${epochMs('now()')} as recorded_ms
  from base b, checked c`;
}
