import { createHash } from 'node:crypto';
import { ConfigurationError } from '@eventfold/core';

/**
 * Low bits of a position that number the events of one transaction; the high bits are the
 * transaction's 64-bit id (`xid8`). 20 bits allow 1,048,576 events per transaction and leave
 * 43 bits (8.8 trillion transaction ids) before a position outgrows a signed bigint.
 */
export const INDEX_BITS = 20;

/** Most events one transaction can append (all its appends together). */
export const MAX_EVENTS_PER_TRANSACTION: number = 2 ** INDEX_BITS;

/** Largest transaction id whose positions still fit in a bigint. */
export const MAX_TRANSACTION_ID: bigint = 2n ** BigInt(63 - INDEX_BITS) - 1n;

/** The schema used when none is given. */
export const DEFAULT_SCHEMA = 'eventfold';

// Lower-case, unquoted-identifier characters only, and short enough that derived names
// (the notification channel `eventfold_<schema>`) stay within PostgreSQL's 63-byte limit.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/** Checks a schema name before it is spliced into SQL. */
export function assertSchemaName(schema: unknown): asserts schema is string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new ConfigurationError(
      `[@eventfold/store-postgres] Option \`schema\` must be 1-48 characters of a-z, 0-9 and _, not starting with a digit; got ${JSON.stringify(schema)}.`,
    );
  }
}

/** A validated name, quoted so it is never read as a keyword. */
export function ident(name: string): string {
  return `"${name}"`;
}

/** Longest name PostgreSQL keeps (NAMEDATALEN - 1); longer prepared-statement names are cut and can collide. */
const MAX_NAME_BYTES = 63;

/**
 * The name of one of a schema's prepared statements: `eventfold_<schema>_<name>`, readable in
 * `pg_prepared_statements`, or `eventfold_<64-bit hash of the schema>_<name>` when that would pass
 * 63 bytes. (PostgreSQL cuts longer names, so `..._read_stream_forward` and `..._read_stream_backward`
 * of a 48-character schema would be one statement.) Schema names are ASCII, so length is bytes.
 */
export function statementName(schema: string, name: string): string {
  const readable = `eventfold_${schema}_${name}`;
  if (readable.length <= MAX_NAME_BYTES) return readable;
  return `eventfold_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}_${name}`;
}

/** The LISTEN/NOTIFY channel of a schema's appends. */
export function notifyChannel(schema: string): string {
  return `eventfold_${schema}`;
}

/** The key under which concurrent `migrate()` calls for one schema take turns. */
export function migrationLockKey(schema: string): string {
  return `eventfold:migrate:${schema}`;
}

/**
 * SQL for a `timestamptz` as epoch milliseconds in text. Every query reads times through it, so an
 * append result and a later read of the same row agree to the millisecond, whatever type parsers
 * the application has installed in `pg`.
 */
export function epochMs(column: string): string {
  return `floor(extract(epoch from ${column}) * 1000)::text`;
}
