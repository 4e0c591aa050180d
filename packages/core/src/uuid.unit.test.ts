import { afterEach, describe, expect, it, vi } from 'vitest';
import { uuidv7 } from './uuid.js';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const timestampOf = (id: string): number => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);

function expectStrictlyIncreasing(ids: readonly string[]): void {
  for (let index = 1; index < ids.length; index++) {
    const [previous, current] = [ids[index - 1] as string, ids[index] as string];
    if (!(previous < current)) expect.fail(`id #${index} ${current} does not sort after ${previous}`);
  }
}

describe('uuidv7', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('has the RFC 9562 layout: lower-case hex, version 7, variant 10', () => {
    for (let index = 0; index < 10_000; index++) {
      const id = uuidv7();
      if (!FORMAT.test(id)) expect.fail(`${id} is not a UUIDv7`);
    }
  });

  it('starts with the current Unix time in milliseconds', () => {
    const before = Date.now();
    const id = uuidv7();
    const after = Date.now();
    expect(timestampOf(id)).toBeGreaterThanOrEqual(before);
    // The counter may borrow a millisecond or two when many ids are made within one.
    expect(timestampOf(id)).toBeLessThanOrEqual(after + 5);
  });

  it('is strictly increasing within a process over 10,000 ids, and unique', () => {
    const ids = Array.from({ length: 10_000 }, () => uuidv7());
    expectStrictlyIncreasing(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stays strictly increasing when the clock stands still: the counter borrows the next millisecond', () => {
    const frozen = Date.now() + 60_000;
    vi.spyOn(Date, 'now').mockReturnValue(frozen);
    const ids = Array.from({ length: 10_000 }, () => uuidv7());
    expectStrictlyIncreasing(ids);
    for (const id of ids) expect(FORMAT.test(id)).toBe(true);
    expect(timestampOf(ids[0] as string)).toBe(frozen);
    // 10,000 ids need at most four 4,096-id windows, so the timestamp runs at most a few ms ahead.
    expect(timestampOf(ids[ids.length - 1] as string) - frozen).toBeLessThanOrEqual(4);
  });

  it('stays strictly increasing when the clock goes backwards', () => {
    const start = Date.now() + 120_000;
    let now = start;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const ids: string[] = [];
    for (let index = 0; index < 1_000; index++) {
      ids.push(uuidv7());
      now = index % 100 === 99 ? now - 5_000 : now;
    }
    expectStrictlyIncreasing(ids);
  });

  it('fills the rest with random bits: ids made in the same millisecond differ beyond the counter', () => {
    const frozen = Date.now() + 180_000;
    vi.spyOn(Date, 'now').mockReturnValue(frozen);
    const tails = new Set(Array.from({ length: 2_000 }, () => uuidv7().slice(19)));
    expect(tails.size).toBe(2_000);
  });
});
