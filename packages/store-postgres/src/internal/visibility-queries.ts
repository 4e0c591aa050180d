import type { VisibilityBlocker, VisibilityLag } from '../visibility.js';
import { classifyError } from './classify-error.js';
import type { Executor, Statement } from './executor.js';
import { APPENDER_KEY, appenderObjid } from './migrations.js';
import { epochMs, INDEX_BITS, ident, statementName } from './sql.js';

/** The diagnostics statements of one schema. */
export interface VisibilityStatements {
  readonly lag: Statement;
  readonly blockers: Statement;
}

export function visibilityStatements(schema: string): VisibilityStatements {
  const s = ident(schema);
  return {
    lag: {
      name: statementName(schema, 'visibility_lag'),
      text: `with horizon as (select ${s}.horizon() as position)
        select
          (select coalesce(max(e.position), 0) from ${s}.events e, horizon h where e.position < h.position)::text as visible,
          (select coalesce(max(e.position), 0) from ${s}.events e)::text as newest,
          (select count(*) from ${s}.events e, horizon h where e.position >= h.position)::text as hidden,
          (select coalesce(floor(extract(epoch from clock_timestamp() - min(e.recorded_at)) * 1000), 0)
             from ${s}.events e, horizon h where e.position >= h.position)::text as oldest_hidden_ms`,
    },
    // The appender lock's holders that have a transaction id older than the newest committed event.
    // pg_locks and pg_stat_activity show 32-bit xids; the snapshot's running list has the 64-bit ones.
    blockers: {
      name: statementName(schema, 'visibility_blockers'),
      text: `with newest as (select coalesce(max(position), 0) >> ${INDEX_BITS} as xid from ${s}.events),
        running as (select x::text::bigint as xid from pg_snapshot_xip(pg_current_snapshot()) as x),
        holders as (
          select a.pid, t.transactionid::text::bigint as xid32
            from pg_locks a
            join pg_locks t on t.virtualtransaction = a.virtualtransaction
           where a.locktype = 'advisory' and a.granted and a.classid = ${APPENDER_KEY}::oid and a.objid = ${appenderObjid(schema)}::oid
             and a.objsubid = 2 and a.database = (select d.oid from pg_database d where d.datname = current_database())
             and t.locktype = 'transactionid' and t.granted and t.mode = 'ExclusiveLock')
        select r.xid::text as transaction_id, a.pid, p.gid, coalesce(a.datname, p.database::text) as database,
          coalesce(a.usename::text, p.owner::text) as usename, a.application_name, a.client_addr::text as client_addr, a.state,
          ${epochMs('coalesce(a.xact_start, p.prepared)')} as started_ms,
          floor(extract(epoch from clock_timestamp() - coalesce(a.xact_start, p.prepared)) * 1000)::text as age_ms,
          a.query, case when a.wait_event is null then null else a.wait_event_type || ':' || a.wait_event end as wait_event
        from holders h
        join running r on r.xid % 4294967296 = h.xid32
        cross join newest n
        left join pg_stat_activity a on a.pid = h.pid
        left join pg_prepared_xacts p on p.transaction::text::bigint = h.xid32
        where r.xid < n.xid
        order by r.xid`,
    },
  };
}

export async function readVisibilityLag(executor: Executor, sql: VisibilityStatements): Promise<VisibilityLag> {
  try {
    const [row] = await executor.run<{ visible: string; newest: string; hidden: string; oldest_hidden_ms: string }>(sql.lag, []);
    return {
      visiblePosition: BigInt(row?.visible ?? 0),
      newestPosition: BigInt(row?.newest ?? 0),
      hiddenEvents: Number(row?.hidden ?? 0),
      oldestHiddenAgeMs: Number(row?.oldest_hidden_ms ?? 0),
    };
  } catch (error) {
    throw classifyError(error, { operation: 'visibilityLag' });
  }
}

interface BlockerRow {
  transaction_id: string;
  pid: number | null;
  gid: string | null;
  database: string | null;
  usename: string | null;
  application_name: string | null;
  client_addr: string | null;
  state: string | null;
  started_ms: string | null;
  age_ms: string | null;
  query: string | null;
  wait_event: string | null;
}

const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

export async function readVisibilityBlockers(executor: Executor, sql: VisibilityStatements): Promise<VisibilityBlocker[]> {
  try {
    const rows = await executor.run<BlockerRow>(sql.blockers, []);
    return rows.map((row) => ({
      transactionId: BigInt(row.transaction_id),
      pid: orUndefined(row.pid),
      preparedTransaction: orUndefined(row.gid),
      database: orUndefined(row.database),
      user: orUndefined(row.usename),
      applicationName: orUndefined(row.application_name),
      clientAddress: orUndefined(row.client_addr),
      state: orUndefined(row.state),
      transactionStartedAt: row.started_ms === null ? undefined : new Date(Number(row.started_ms)),
      transactionAgeMs: row.age_ms === null ? undefined : Number(row.age_ms),
      query: orUndefined(row.query),
      waitEvent: orUndefined(row.wait_event),
    }));
  } catch (error) {
    throw classifyError(error, { operation: 'visibilityBlockers' });
  }
}
