import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inMemoryInbox } from './in-memory-inbox.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('inMemoryInbox', () => {
  it('runs the work once and reports a repeat as a duplicate', async () => {
    const inbox = inMemoryInbox();
    let runs = 0;
    const work = async () => {
      runs++;
    };
    expect(await inbox.runOnce('projector', 'm-1', work)).toBe('processed');
    expect(await inbox.runOnce('projector', 'm-1', work)).toBe('duplicate');
    expect(runs).toBe(1);
    expect(await inbox.has('projector', 'm-1')).toBe(true);
    expect(await inbox.has('projector', 'm-2')).toBe(false);
  });

  it('makes concurrent calls for one message wait for the one running, which runs the work once', async () => {
    const inbox = inMemoryInbox();
    let runs = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () =>
        inbox.runOnce('projector', 'm-1', async () => {
          runs++;
          await tick();
        }),
      ),
    );
    expect(runs).toBe(1);
    expect(outcomes.sort()).toEqual(['duplicate', ...Array(8).fill('duplicate'), 'processed']);
  });

  it('lets a waiting call run the work when the running one fails', async () => {
    const inbox = inMemoryInbox();
    const failure = new Error('boom');
    const first = inbox.runOnce('projector', 'm-1', async () => {
      await tick();
      throw failure;
    });
    let secondRuns = 0;
    const second = inbox.runOnce('projector', 'm-1', async () => {
      secondRuns++;
    });
    await expect(first).rejects.toBe(failure);
    expect(await second).toBe('processed');
    expect(secondRuns).toBe(1);
    expect(await inbox.has('projector', 'm-1')).toBe(true);
  });

  it('records nothing when the work throws, synchronously or not, and stays usable for a retry', async () => {
    const inbox = inMemoryInbox();
    const failure = new Error('sync boom');
    await expect(
      inbox.runOnce('projector', 'm-1', () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    await expect(inbox.runOnce('projector', 'm-1', async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await inbox.has('projector', 'm-1')).toBe(false);
    expect(await inbox.runOnce('projector', 'm-1', async () => {})).toBe('processed');
  });

  it('law: distinct (consumer, message id) pairs never share a record, whatever characters they contain', async () => {
    // Regression: a key built as `${consumer}\0${messageId}` made ('a\0b', 'c') and ('a', 'b\0c') collide.
    // A tiny alphabet with a separator-like character makes colliding concatenations likely.
    const name = fc.string({ unit: fc.constantFrom('a', 'b', '\u0000', ':', '"'), maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(name, name), { minLength: 2, maxLength: 6, selector: ([c, m]) => JSON.stringify([c, m]) }),
        async (pairs) => {
          const inbox = inMemoryInbox();
          const [first, ...others] = pairs as [[string, string], ...[string, string][]];
          await inbox.runOnce(first[0], first[1], async () => {});
          for (const [consumer, messageId] of others) expect(await inbox.has(consumer, messageId)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
    const inbox = inMemoryInbox();
    await inbox.runOnce('a\u0000b', 'c', async () => {});
    expect(await inbox.has('a', 'b\u0000c')).toBe(false);
  });
});
