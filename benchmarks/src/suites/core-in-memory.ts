/**
 * The cost of the core's safety on top of the work itself, on the in-memory store:
 * - repository.execute (load, decide, validate with the catalog, append with the loaded
 *   version) against the same append done by hand with the same expected-version check;
 * - catalog.decodeAll (upcast + validate a page, as the repository loads) against parsing with
 *   the zod schema directly.
 */
import { defineAggregate, defineEvent, eventCatalog, inMemoryEventStore, type RecordedEvent, repository } from '@eventfold/core';
import { z } from 'zod';
import type { Suite } from '../harness.js';

const schema = z.object({ userId: z.string(), email: z.string(), fullName: z.string(), tags: z.array(z.string()) });
const registered = defineEvent({ type: 'user.registered', schema });
const catalog = eventCatalog([registered]);
type Registered = { type: 'user.registered'; data: z.infer<typeof schema> };

const user = defineAggregate<{ registered: boolean }, { id: string }, Registered>({
  name: 'user',
  events: catalog,
  initialState: () => ({ registered: false }),
  evolve: () => ({ registered: true }),
  decide: (command) => [{ type: 'user.registered', data: payload(command.id) }],
});

function payload(id: string): z.infer<typeof schema> {
  return { userId: id, email: `${id}@example.com`, fullName: 'Ada Lovelace', tags: ['a', 'b', 'c'] };
}

const COMMANDS = 20_000;
const EVENTS = 50_000;

async function timed(operations: number, work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return operations / ((performance.now() - started) / 1000);
}

const suite: Suite = {
  name: 'core-in-memory',
  baseline: 'the same work written by hand against the in-memory store / zod',
  async workloads() {
    let run = 0;
    const recorded: RecordedEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
      id: `e-${i}`,
      type: 'user.registered',
      schemaVersion: 1,
      streamId: `user-${i}`,
      version: 1,
      position: BigInt(i + 1),
      data: payload(String(i)),
      metadata: {},
      recordedAt: new Date(),
    }));
    return [
      {
        name: `repository-execute-${COMMANDS}-new-aggregates`,
        metric: 'throughput',
        unit: 'commands/s',
        higherIsBetter: true,
        ours: async () => {
          const users = repository(user, { store: inMemoryEventStore() });
          const prefix = `r${run++}`;
          return timed(COMMANDS, async () => {
            for (let i = 0; i < COMMANDS; i++) await users.execute(`${prefix}-${i}`, { id: String(i) });
          });
        },
        baseline: async () => {
          const store = inMemoryEventStore();
          const prefix = `b${run++}`;
          return timed(COMMANDS, async () => {
            for (let i = 0; i < COMMANDS; i++) {
              const streamId = `user-${prefix}-${i}`;
              const version = (await store.readStream(streamId)).length;
              await store.append(streamId, [{ type: 'user.registered', data: payload(String(i)) }], { expectedVersion: version });
            }
          });
        },
      },
      {
        name: `catalog-decode-${EVENTS}-events`,
        metric: 'throughput',
        unit: 'events/s',
        higherIsBetter: true,
        ours: () =>
          timed(EVENTS, async () => {
            await catalog.decodeAll(recorded);
          }),
        baseline: () =>
          timed(EVENTS, async () => {
            for (const event of recorded) schema.parse(event.data);
          }),
      },
    ];
  },
};

export default suite;
