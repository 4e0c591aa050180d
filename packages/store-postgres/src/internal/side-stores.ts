import {
  type CheckpointStore,
  type Lease,
  type LeaseStore,
  type Position,
  type Snapshot,
  type SnapshotStore,
  ValidationError,
} from '@eventfold/core';
import { classifyError } from './classify-error.js';
import type { Executor, Statement } from './executor.js';
import { jsonText } from './json-text.js';
import type { Statements } from './statements.js';

/** Gives the executor to use now: the open transaction's, or the pool's. */
export type ExecutorSource = () => Executor;

const MAX_POSITION = 2n ** 63n - 1n;

async function run<Row>(source: ExecutorSource, operation: string, statement: Statement, values: unknown[]): Promise<Row[]> {
  try {
    return await source().run<Row>(statement, values);
  } catch (error) {
    throw classifyError(error, { operation });
  }
}

/** Snapshots in `<schema>.snapshots`: one row per stream, a put never replaces a newer version. */
export function postgresSnapshotStore(source: ExecutorSource, sql: Statements): SnapshotStore {
  return {
    async get(streamId) {
      const [row] = await run<{ stream_id: string; version: number; schema_version: number; state: string; taken_ms: string }>(
        source,
        'snapshots.get',
        sql.snapshotGet,
        [streamId],
      );
      if (row === undefined) return undefined;
      return {
        streamId: row.stream_id,
        version: row.version,
        schemaVersion: row.schema_version,
        state: JSON.parse(row.state),
        takenAt: new Date(Number(row.taken_ms)),
      } satisfies Snapshot;
    },
    async put(snapshot) {
      const state = jsonText(snapshot.state, ['state']);
      const takenAt = snapshot.takenAt instanceof Date ? snapshot.takenAt.getTime() : Number.NaN;
      if (!Number.isFinite(takenAt)) {
        throw new ValidationError('Invalid snapshot', [{ message: 'takenAt must be a valid Date', path: ['takenAt'] }]);
      }
      for (const field of ['version', 'schemaVersion'] as const) {
        const value = snapshot[field];
        if (!Number.isSafeInteger(value) || value < 0) {
          throw new ValidationError('Invalid snapshot', [{ message: `${field} must be an integer >= 0, got ${value}`, path: [field] }]);
        }
      }
      await run(source, 'snapshots.put', sql.snapshotPut, [
        snapshot.streamId,
        snapshot.version,
        snapshot.schemaVersion,
        new Date(takenAt).toISOString(),
        state,
      ]);
    },
    async delete(streamId) {
      await run(source, 'snapshots.delete', sql.snapshotDelete, [streamId]);
    },
  };
}

/** Named positions in `<schema>.checkpoints`. */
export function postgresCheckpointStore(source: ExecutorSource, sql: Statements): CheckpointStore {
  return {
    async get(name) {
      const [row] = await run<{ position: string }>(source, 'checkpoints.get', sql.checkpointGet, [name]);
      return row === undefined ? undefined : BigInt(row.position);
    },
    async put(name, position: Position) {
      if (typeof position !== 'bigint' || position < 0n || position > MAX_POSITION) {
        throw new ValidationError('Invalid checkpoint', [
          { message: `position must be a bigint from 0 to 2^63 - 1, got ${String(position)}`, path: ['position'] },
        ]);
      }
      await run(source, 'checkpoints.put', sql.checkpointPut, [name, position.toString()]);
    },
    async delete(name) {
      await run(source, 'checkpoints.delete', sql.checkpointDelete, [name]);
    },
  };
}

function leaseOf(row: { name: string; owner: string; expires_ms: string }): Lease {
  return { name: row.name, owner: row.owner, expiresAt: new Date(Number(row.expires_ms)) };
}

/** Leases in `<schema>.leases`, timed by the server's clock so processes on skewed hosts agree. */
export function postgresLeaseStore(source: ExecutorSource, sql: Statements): LeaseStore {
  return {
    async acquire(name, owner, ttlMs) {
      if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
        throw new ValidationError('Invalid lease', [{ message: `ttlMs must be a positive number, got ${ttlMs}`, path: ['ttlMs'] }]);
      }
      const [row] = await run<{ name: string; owner: string; expires_ms: string }>(source, 'leases.acquire', sql.leaseAcquire, [
        name,
        owner,
        ttlMs,
      ]);
      return row === undefined ? undefined : leaseOf(row);
    },
    async release(name, owner) {
      await run(source, 'leases.release', sql.leaseRelease, [name, owner]);
    },
    async holder(name) {
      const [row] = await run<{ name: string; owner: string; expires_ms: string }>(source, 'leases.holder', sql.leaseHolder, [name]);
      return row === undefined ? undefined : leaseOf(row);
    },
  };
}
