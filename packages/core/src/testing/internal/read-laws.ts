import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../event.js';
import type { AppendResult, ReadStreamOptions } from '../../event-store.js';
import { START } from '../../position.js';
import { someEvents } from './append-laws.js';
import {
  type ConformanceContext,
  eventually,
  expectStoreOrder,
  inNamespace,
  namespace,
  readAllPages,
  sleep,
} from './conformance-context.js';

/** What `readStream` must return for a stream with versions 1..length, per the port's documentation. */
export function expectedVersions(length: number, options: ReadStreamOptions): number[] {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const versions: number[] = [];
  if (options.direction === 'backward') {
    for (let version = Math.min(options.fromVersion ?? length, length); version >= 1 && versions.length < limit; version--) {
      versions.push(version);
    }
  } else {
    for (let version = Math.max(options.fromVersion ?? 1, 1); version <= length && versions.length < limit; version++) {
      versions.push(version);
    }
  }
  return versions;
}

export function describeReadLaws(context: ConformanceContext): void {
  const { timeoutMs } = context.options;

  describe('readStream', () => {
    it(
      'a stream that does not exist reads as no events, in either direction, not an error',
      async () => {
        const store = context.store();
        const streamId = `${namespace()}-missing`;
        expect(await store.readStream(streamId)).toEqual([]);
        expect(await store.readStream(streamId, { direction: 'backward' })).toEqual([]);
        expect(await store.readStream(streamId, { fromVersion: 3, limit: 2 })).toEqual([]);
      },
      timeoutMs,
    );

    it(
      'reads forward from a version, backward from a version, and at most limit events',
      async () => {
        const store = context.store();
        const streamId = `${namespace()}-1`;
        const { events } = await store.append(streamId, someEvents(5));
        const versions = (read: RecordedEvent[]) => read.map((event) => event.version);
        expect(versions(await store.readStream(streamId, { fromVersion: 3 }))).toEqual([3, 4, 5]);
        expect(versions(await store.readStream(streamId, { fromVersion: 2, limit: 2 }))).toEqual([2, 3]);
        expect(versions(await store.readStream(streamId, { direction: 'backward' }))).toEqual([5, 4, 3, 2, 1]);
        expect(versions(await store.readStream(streamId, { direction: 'backward', limit: 1 }))).toEqual([5]);
        expect(versions(await store.readStream(streamId, { direction: 'backward', fromVersion: 3, limit: 2 }))).toEqual([3, 2]);
        expect(await store.readStream(streamId, { fromVersion: 6 })).toEqual([]);
        expect(await store.readStream(streamId, { limit: 0 })).toEqual([]);
        expect(await store.readStream(streamId, { direction: 'backward' })).toEqual([...events].reverse());
      },
      timeoutMs,
    );

    it(
      'law: readStream returns exactly the versions its options select, for any fromVersion, limit and direction',
      async () => {
        const store = context.store();
        const ns = namespace();
        const maxLength = 6;
        const streams: RecordedEvent[][] = [[]];
        for (let length = 1; length <= maxLength; length++) {
          streams.push((await store.append(`${ns}-${length}`, someEvents(length))).events as RecordedEvent[]);
        }
        const options = fc.record(
          {
            fromVersion: fc.nat({ max: maxLength + 2 }),
            limit: fc.nat({ max: maxLength + 2 }),
            direction: fc.constantFrom<'forward' | 'backward'>('forward', 'backward'),
          },
          { requiredKeys: [] },
        );
        await fc.assert(
          fc.asyncProperty(fc.nat({ max: maxLength }), options, async (length, readOptions) => {
            const read = await store.readStream(`${ns}-${length}`, readOptions);
            const byVersion = streams[length] as RecordedEvent[];
            expect(read).toEqual(expectedVersions(length, readOptions).map((version) => byVersion[version - 1]));
          }),
          context.fcParameters('readStream'),
        );
      },
      timeoutMs,
    );
  });

  describe('readAll', () => {
    it(
      'reading in pages after the last seen position returns every event once, in append order, with increasing positions',
      async () => {
        const store = context.store();
        const ns = namespace();
        const head = await store.headPosition();
        const results: AppendResult[] = [];
        for (let index = 0; index < 12; index++) {
          results.push(await store.append(`${ns}-${index % 3}`, someEvents((index % 3) + 1)));
        }
        const appended = results.flatMap((result) => result.events);
        for (const limit of [1, 2, 5, 1000, undefined]) {
          const read = inNamespace(await readAllPages(store, limit === undefined ? { after: head } : { after: head, limit }), ns);
          expect(read).toEqual(appended);
          expectStoreOrder(read);
        }
      },
      timeoutMs,
    );

    it(
      'a reader resuming after its last position sees exactly what was appended since',
      async () => {
        const store = context.store();
        const ns = namespace();
        let cursor = await store.headPosition();
        const seen: RecordedEvent[] = [];
        const appended: RecordedEvent[] = [];
        for (let round = 0; round < 5; round++) {
          const { events } = await store.append(`${ns}-${round % 2}`, someEvents(round + 1));
          appended.push(...events);
          const read = inNamespace(await readAllPages(store, { after: cursor, limit: 3 }), ns);
          expect(read).toEqual(events);
          seen.push(...read);
          cursor = (read[read.length - 1] as RecordedEvent).position;
        }
        expect(seen).toEqual(appended);
      },
      timeoutMs,
    );

    it(
      'filters by category: the part of the stream id before the first dash, matched exactly',
      async () => {
        const store = context.store();
        const ns = namespace();
        const head = await store.headPosition();
        const category = `${ns}a`;
        const streams = [`${category}-1`, `${category}-2-x`, category, `${ns}ab-1`, `${ns}b-1`];
        for (const streamId of streams) await store.append(streamId, someEvents(1));
        const streamsOf = async (categories: string[]) =>
          (await readAllPages(store, { after: head, categories })).map((event) => event.streamId);
        expect(await streamsOf([category])).toEqual([`${category}-1`, `${category}-2-x`, category]);
        expect(await streamsOf([`${ns}ab`])).toEqual([`${ns}ab-1`]);
        expect(await streamsOf([category, `${ns}b`])).toEqual([`${category}-1`, `${category}-2-x`, category, `${ns}b-1`]);
        expect(await streamsOf([`${ns}`])).toEqual([]);
        expect(await streamsOf([])).toEqual([]);
      },
      timeoutMs,
    );

    it(
      'filters by event type, alone and together with categories',
      async () => {
        const store = context.store();
        const ns = namespace();
        const head = await store.headPosition();
        const created = `${ns}.created`;
        const renamed = `${ns}.renamed`;
        await store.append(`${ns}x-1`, [...someEvents(1, created), ...someEvents(1, renamed)]);
        await store.append(`${ns}y-1`, [...someEvents(1, renamed), ...someEvents(1, created)]);
        const read = async (options: { types: string[]; categories?: string[] }) =>
          (await readAllPages(store, { after: head, ...options })).map((event) => `${event.streamId}:${event.type}`);
        expect(await read({ types: [created] })).toEqual([`${ns}x-1:${created}`, `${ns}y-1:${created}`]);
        expect(await read({ types: [created, renamed] })).toHaveLength(4);
        expect(await read({ types: [renamed], categories: [`${ns}y`] })).toEqual([`${ns}y-1:${renamed}`]);
        expect(await read({ types: [`${ns}.missing`] })).toEqual([]);
        expect(await read({ types: [] })).toEqual([]);
      },
      timeoutMs,
    );

    it(
      'returns at most limit events, at least one while more are visible, and none for limit 0',
      async () => {
        const store = context.store();
        const ns = namespace();
        const head = await store.headPosition();
        await store.append(`${ns}-1`, someEvents(5));
        const categories = [ns];
        for (const limit of [1, 2, 4]) {
          const page = await store.readAll({ after: head, categories, limit });
          expect(page.length).toBeGreaterThanOrEqual(1);
          expect(page.length).toBeLessThanOrEqual(limit);
          expect(page.map((event) => event.version)).toEqual(page.map((_, index) => index + 1));
        }
        expect(await store.readAll({ after: head, categories, limit: 0 })).toEqual([]);
      },
      timeoutMs,
    );

    it(
      'reads from the beginning by default, in increasing positions',
      async () => {
        const store = context.store();
        await store.append(`${namespace()}-1`, someEvents(1));
        const page = await store.readAll({ limit: 50 });
        expect(page.length).toBeGreaterThan(0);
        expect((page[0] as RecordedEvent).position > START).toBe(true);
        expectStoreOrder(page);
      },
      timeoutMs,
    );
  });

  describe('headPosition', () => {
    it(
      'is a bigint at or after the last append, and every later append lands after it',
      async () => {
        const store = context.store();
        const ns = namespace();
        const before = await store.headPosition();
        expect(typeof before).toBe('bigint');
        expect(before >= START).toBe(true);
        const first = await store.append(`${ns}-1`, someEvents(2));
        expect((first.events[0] as RecordedEvent).position > before).toBe(true);
        const head = await store.headPosition();
        expect(head >= first.position).toBe(true);
        expect(inNamespace(await readAllPages(store, { after: head }), ns)).toEqual([]);
        const second = await store.append(`${ns}-2`, someEvents(1));
        expect(second.position > head).toBe(true);
        expect(inNamespace(await readAllPages(store, { after: head }), ns)).toEqual(second.events);
      },
      timeoutMs,
    );
  });

  describe('onAppend', () => {
    it(
      'returns a function that stops the calls (a no-op on stores without notifications)',
      async () => {
        const store = context.store();
        expect(typeof store.capabilities.appendNotifications).toBe('boolean');
        expect(typeof store.capabilities.transactions).toBe('boolean');
        let calls = 0;
        const stop = store.onAppend(() => {
          calls++;
        });
        expect(typeof stop).toBe('function');
        stop();
        await store.append(`${namespace()}-1`, someEvents(1));
        await sleep(50);
        expect(calls).toBe(0);
      },
      timeoutMs,
    );

    it(
      'calls every listener soon after an append, even when another listener throws (runs only when capabilities.appendNotifications is true)',
      async (run) => {
        const store = context.store();
        // Capability-driven: reported as skipped, with the reason, for stores without notifications.
        if (!store.capabilities.appendNotifications) {
          run.skip('skipped: the store declares capabilities.appendNotifications = false');
        }
        let first = 0;
        let second = 0;
        let throwing = 0;
        // A faulty listener must neither keep the others from being called nor crash the process.
        const stopThrowing = store.onAppend(() => {
          throwing++;
          throw new Error('a faulty listener');
        });
        const stopFirst = store.onAppend(() => {
          first++;
        });
        const stopSecond = store.onAppend(() => {
          second++;
        });
        try {
          await store.append(`${namespace()}-1`, someEvents(1));
          const notified = await eventually(() => first > 0 && second > 0 && throwing > 0, context.options.notificationTimeoutMs);
          expect(notified, `no onAppend call within ${context.options.notificationTimeoutMs} ms`).toBe(true);
          stopFirst();
          const firstCalls = first;
          const secondCalls = second;
          await store.append(`${namespace()}-1`, someEvents(1));
          expect(await eventually(() => second > secondCalls, context.options.notificationTimeoutMs)).toBe(true);
          expect(first, 'a stopped listener was called again').toBe(firstCalls);
        } finally {
          stopThrowing();
          stopFirst();
          stopSecond();
        }
      },
      timeoutMs,
    );
  });
}
