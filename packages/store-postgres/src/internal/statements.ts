import { appendGroupStatementSql } from './append-group-statement.js';
import { appendStatementSql } from './append-statement.js';
import type { Statement } from './executor.js';
import { epochMs, ident, statementName } from './sql.js';

/** The columns of a recorded event, as text where a global `pg` type parser could change them. */
const EVENT_COLUMNS = `position::text as position, version, event_id, type, schema_version, stream_id, data::text as data,
  metadata::text as metadata, ${epochMs('recorded_at')} as recorded_ms`;

/** A stored event row as the statements below return it. */
export interface EventRow {
  position: string;
  version: number;
  event_id: string;
  type: string;
  schema_version: number;
  stream_id: string;
  data: string;
  metadata: string;
  recorded_ms: string;
}

/** The row of the append function: the first position and version of a new append, or the stored events of a repeat. */
export interface AppendRow {
  position: string | null;
  version: number | null;
  recorded_ms: string | null;
  /** JSON array of the stored events (EventRow fields but stream_id) when the append repeats them. */
  repeat: string | null;
}

/** The row of the one-statement append when it wrote: the first position and version. */
export interface WrittenRow {
  position: string;
  version: number;
  recorded_ms: string;
}

/** Every statement the store runs for one schema. */
export interface Statements {
  /** The append function: inside a transaction, and where the statement below gives way. */
  readonly append: Statement;
  /** The append as one statement, for a call outside any transaction (see append-statement.ts). */
  readonly appendAutocommit: Statement;
  /** Several autocommit appends to distinct streams in one statement (see append-group-statement.ts). */
  readonly appendGroup: Statement;
  readonly readStreamForward: Statement;
  readonly readStreamBackward: Statement;
  readonly readAll: Statement;
  readonly headPosition: Statement;
  readonly snapshotGet: Statement;
  readonly snapshotPut: Statement;
  readonly snapshotDelete: Statement;
  readonly checkpointGet: Statement;
  readonly checkpointPut: Statement;
  readonly checkpointDelete: Statement;
  readonly inboxClaim: Statement;
  readonly inboxRecord: Statement;
  readonly inboxHas: Statement;
  /** Rows (index, claimed) per distinct message id of `$2`, at its first index. */
  readonly inboxClaimMany: Statement;
  readonly inboxRecordMany: Statement;
  readonly leaseAcquire: Statement;
  readonly leaseRelease: Statement;
  readonly leaseHolder: Statement;
  readonly notify: Statement;
}

/** Every statement the store runs for one schema, named per schema so pools can be shared. */
export function statements(schema: string): Statements {
  const s = ident(schema);
  const named = (name: string, text: string): Statement => ({ name: statementName(schema, name), text });

  return {
    append: named(
      'append',
      `select r_position::text as position, r_version as version, ${epochMs('r_recorded_at')} as recorded_ms, r_repeat::text as repeat
        from ${s}.append_events($1, $2, $3, $4, $5, $6, $7)`,
    ),
    appendAutocommit: named('append_autocommit', appendStatementSql(schema)),
    appendGroup: named('append_group', appendGroupStatementSql(schema)),
    readStreamForward: named(
      'read_stream_forward',
      `select ${EVENT_COLUMNS} from ${s}.events where stream_id = $1 and version >= $2::bigint order by version limit $3`,
    ),
    readStreamBackward: named(
      'read_stream_backward',
      `select ${EVENT_COLUMNS} from ${s}.events where stream_id = $1 and version <= $2::bigint order by version desc limit $3`,
    ),
    readAll: named('read_all', `select ${EVENT_COLUMNS} from ${s}.read_all($1::bigint, $2::integer, $3::text[], $4::text[])`),
    headPosition: named('head_position', `select ${s}.head_position()::text as position`),

    snapshotGet: named(
      'snapshot_get',
      `select stream_id, version, schema_version, state::text as state, ${epochMs('taken_at')} as taken_ms from ${s}.snapshots where stream_id = $1`,
    ),
    snapshotPut: named(
      'snapshot_put',
      `insert into ${s}.snapshots (stream_id, version, schema_version, taken_at, state)
        values ($1, $2, $3, $4::timestamptz, $5::jsonb)
        on conflict (stream_id) do update
          set version = excluded.version, schema_version = excluded.schema_version, taken_at = excluded.taken_at, state = excluded.state
          where ${s}.snapshots.version <= excluded.version`,
    ),
    snapshotDelete: named('snapshot_delete', `delete from ${s}.snapshots where stream_id = $1`),

    checkpointGet: named('checkpoint_get', `select position::text as position from ${s}.checkpoints where name = $1`),
    checkpointPut: named(
      'checkpoint_put',
      `insert into ${s}.checkpoints (name, position) values ($1, $2::bigint)
        on conflict (name) do update set position = excluded.position, updated_at = now()`,
    ),
    checkpointDelete: named('checkpoint_delete', `delete from ${s}.checkpoints where name = $1`),

    inboxClaim: named('inbox_claim', `select ${s}.inbox_claim($1, $2, $3) as claimed`),
    inboxRecord: named('inbox_record', `insert into ${s}.inbox (consumer, message_id) values ($1, $2) on conflict do nothing`),
    inboxHas: named('inbox_has', `select exists (select 1 from ${s}.inbox where consumer = $1 and message_id = $2) as has`),
    // The claims (advisory locks) are taken in id order, whatever the batch's order: two batches
    // sharing ids then never wait for each other in a cycle. OFFSET 0 keeps the sort below the calls.
    inboxClaimMany: named(
      'inbox_claim_many',
      `select u.ord::integer - 1 as index, ${s}.inbox_claim($1, u.id, false) as claimed
        from (select id, min(ord) as ord from unnest($2::text[]) with ordinality as t(id, ord) group by id order by id offset 0) as u`,
    ),
    inboxRecordMany: named(
      'inbox_record_many',
      `insert into ${s}.inbox (consumer, message_id) select $1, unnest($2::text[]) on conflict do nothing`,
    ),

    leaseAcquire: named(
      'lease_acquire',
      `insert into ${s}.leases as l (name, owner, expires_at) values ($1, $2, now() + $3::double precision * interval '1 millisecond')
        on conflict (name) do update set owner = excluded.owner, expires_at = excluded.expires_at
          where l.owner = excluded.owner or l.expires_at <= now()
        returning l.name, l.owner, ${epochMs('l.expires_at')} as expires_ms`,
    ),
    leaseRelease: named('lease_release', `delete from ${s}.leases where name = $1 and owner = $2`),
    leaseHolder: named(
      'lease_holder',
      `select name, owner, ${epochMs('expires_at')} as expires_ms from ${s}.leases where name = $1 and expires_at > now()`,
    ),
    notify: named('notify', `select pg_notify($1, '')`),
  };
}
