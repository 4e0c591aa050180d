/**
 * The stress run behind docs/store-postgres.md's horizon notes: 16 writers append to 3 streams
 * (mixed expected versions, repeats) while 2 subscribers poll `readAll` with small pages, for
 * TRIALS rounds. Reports every event a subscriber never saw, and whether it was a gap (the
 * subscriber went past it) or lag (it stopped before it). Not part of the test suite: it takes
 * minutes and needs a busy machine to hit the rare interleavings.
 * `pnpm --dir benchmarks exec tsx --conditions=@eventfold/source src/tools/postgres-gap-stress.ts`
 * (DATABASE_URL from `scripts/services env`; TRIALS, default 100).
 */
import { postgresEventStore } from '@eventfold/store-postgres';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 24 });
pool.on('error', () => undefined);
const schema = `gap_stress_${process.pid}`;
const store = postgresEventStore({ pool, schema });
await store.migrate();

interface Seen {
  id: string;
  position: bigint;
}

let missedTotal = 0;
const trials = Number(process.env.TRIALS ?? 100);
for (let trial = 0; trial < trials; trial++) {
  const ns = `s${trial}x${Date.now()}`;
  const head = await store.headPosition();
  let writing = true;
  const readers = Array.from({ length: 2 }, async (_, reader) => {
    const seen: Seen[] = [];
    let cursor = head;
    for (;;) {
      const done = !writing;
      const page = await store.readAll({ after: cursor, categories: [ns], limit: 1 + reader * 2 });
      for (const event of page) {
        if (event.position <= cursor) throw new Error(`position ${event.position} after ${cursor}`);
        cursor = event.position;
        seen.push({ id: event.id, position: event.position });
      }
      if (page.length === 0 && done) return seen;
      if (page.length === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  });
  const acknowledged: Seen[] = [];
  await Promise.all(
    Array.from({ length: 16 }, async (_, writer) => {
      for (let i = 0; i < 30; i++) {
        const streamId = `${ns}-${(writer + i) % 3}`;
        try {
          let expectedVersion: number | 'any' | 'no-stream' = 'any';
          if (i % 3 === 1) expectedVersion = (await store.readStream(streamId, { direction: 'backward', limit: 1 }))[0]?.version ?? 0;
          if (i % 5 === 2) expectedVersion = 'no-stream';
          const batch = [
            { id: crypto.randomUUID(), type: 't', data: { writer, i } },
            ...(i % 2 ? [{ id: crypto.randomUUID(), type: 't', data: {} }] : []),
          ];
          const result = await store.append(streamId, batch, { expectedVersion });
          for (const event of result.events) acknowledged.push({ id: event.id, position: event.position });
          if (i % 4 === 0) await store.append(streamId, batch, { expectedVersion: 'no-stream' }); // a repeat
        } catch (error) {
          if ((error as { code?: string }).code !== 'CONCURRENCY') throw error;
        }
      }
    }),
  );
  writing = false;
  for (const [reader, seen] of (await Promise.all(readers)).entries()) {
    const ids = new Set(seen.map((event) => event.id));
    const missed = acknowledged.filter((event) => !ids.has(event.id));
    if (missed.length === 0) continue;
    missedTotal += missed.length;
    const last = seen[seen.length - 1]?.position ?? 0n;
    const kind = missed.some((event) => event.position < last) ? 'GAP' : 'lag';
    console.log(`trial ${trial} reader ${reader}: ${kind}, missed ${missed.map((event) => event.position).join(', ')} (last seen ${last})`);
  }
}
console.log(`${trials} trials, ${missedTotal} events missed`);
await store.close();
await pool.query(`drop schema ${schema} cascade`);
await pool.end();
