import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidationError } from '../errors.js';
import { inMemoryLeaseStore } from './in-memory-lease-store.js';

function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => new Date(now),
    advance(ms: number): void {
      now += ms;
    },
  };
}

describe('inMemoryLeaseStore', () => {
  it('grants a lease to one owner at a time until it expires, on the injected clock', async () => {
    const clock = fakeClock();
    const leases = inMemoryLeaseStore({ now: clock.now });
    const lease = await leases.acquire('relay', 'a', 1_000);
    expect(lease).toEqual({ name: 'relay', owner: 'a', expiresAt: new Date(clock.now().getTime() + 1_000) });
    expect(await leases.acquire('relay', 'b', 1_000)).toBeUndefined();
    clock.advance(999);
    expect((await leases.holder('relay'))?.owner).toBe('a');
    clock.advance(1);
    expect(await leases.holder('relay')).toBeUndefined();
    expect((await leases.acquire('relay', 'b', 1_000))?.owner).toBe('b');
  });

  it('renews for the owner; release by anyone else does nothing; a former owner cannot release its successor', async () => {
    const clock = fakeClock();
    const leases = inMemoryLeaseStore({ now: clock.now });
    await leases.acquire('relay', 'a', 1_000);
    clock.advance(800);
    expect((await leases.acquire('relay', 'a', 1_000))?.expiresAt).toEqual(new Date(clock.now().getTime() + 1_000));
    clock.advance(800);
    expect((await leases.holder('relay'))?.owner).toBe('a');
    await leases.release('relay', 'b');
    expect((await leases.holder('relay'))?.owner).toBe('a');
    clock.advance(1_000);
    await leases.acquire('relay', 'b', 1_000);
    await leases.release('relay', 'a');
    expect((await leases.holder('relay'))?.owner).toBe('b');
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('rejects ttlMs %s with a ValidationError', async (ttl) => {
    const leases = inMemoryLeaseStore();
    const error = await leases.acquire('relay', 'a', ttl).catch((caught: unknown) => caught);
    expect(isValidationError(error)).toBe(true);
    expect(await leases.holder('relay')).toBeUndefined();
  });

  it('law: acquire, release, holder and the passing of time agree with a reference model', async () => {
    type Step =
      | { op: 'acquire'; owner: string; ttl: number }
      | { op: 'release'; owner: string }
      | { op: 'holder' }
      | { op: 'wait'; ms: number };
    const owner = fc.constantFrom('a', 'b', 'c');
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ op: fc.constant('acquire' as const), owner, ttl: fc.integer({ min: 1, max: 50 }) }),
      fc.record({ op: fc.constant('release' as const), owner }),
      fc.record({ op: fc.constant('holder' as const) }),
      fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 60 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const clock = fakeClock(0);
        const leases = inMemoryLeaseStore({ now: clock.now });
        let time = 0;
        let model: { owner: string; expiresAt: number } | undefined;
        const current = () => (model !== undefined && model.expiresAt > time ? model : undefined);
        for (const s of steps) {
          if (s.op === 'wait') {
            clock.advance(s.ms);
            time += s.ms;
          } else if (s.op === 'acquire') {
            const held = current();
            const lease = await leases.acquire('relay', s.owner, s.ttl);
            if (held !== undefined && held.owner !== s.owner) {
              expect(lease).toBeUndefined();
            } else {
              model = { owner: s.owner, expiresAt: time + s.ttl };
              expect(lease).toEqual({ name: 'relay', owner: s.owner, expiresAt: new Date(model.expiresAt) });
            }
          } else if (s.op === 'release') {
            await leases.release('relay', s.owner);
            if (model?.owner === s.owner) model = undefined;
          } else {
            const held = current();
            expect(await leases.holder('relay')).toEqual(
              held === undefined ? undefined : { name: 'relay', owner: held.owner, expiresAt: new Date(held.expiresAt) },
            );
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
