import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isConfigurationError } from './errors.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, retryPolicy } from './retry.js';

describe('backoffDelay', () => {
  const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1_000, jitter: 0 };

  it('doubles from baseDelayMs and stops at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, policy))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('stays finite for huge attempt numbers and reads attempt 0 as 1', () => {
    expect(backoffDelay(5_000, policy)).toBe(1_000);
    expect(backoffDelay(0, policy)).toBe(100);
    expect(backoffDelay(3, { ...policy, baseDelayMs: 0 })).toBe(0);
  });

  it('draws within [ceiling · (1 − jitter), ceiling] at the extremes of the random source', () => {
    expect(backoffDelay(2, { ...policy, jitter: 0.5 }, () => 0)).toBe(200);
    expect(backoffDelay(2, { ...policy, jitter: 0.5 }, () => 0.999_999)).toBe(100);
    expect(backoffDelay(2, { ...policy, jitter: 1 }, () => 0.999_999)).toBe(0);
  });

  it('defaults to full jitter', () => {
    expect(DEFAULT_RETRY_POLICY.jitter).toBe(1);
    expect(backoffDelay(2, { baseDelayMs: 100, maxDelayMs: 1_000 }, () => 0.25)).toBe(150);
  });

  it('always lies within the jitter range (property, 300 runs)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseDelayMs, extra, jitter, random) => {
          const maxDelayMs = baseDelayMs + extra;
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          const delay = backoffDelay(attempt, { baseDelayMs, maxDelayMs, jitter }, () => random);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(Math.round(ceiling * (1 - jitter)) - 1);
          expect(delay).toBeLessThanOrEqual(Math.round(ceiling));
          expect(delay).toBeLessThanOrEqual(maxDelayMs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('spreads delays across the range with the default random source', () => {
    const delays = Array.from({ length: 400 }, () => backoffDelay(4, { baseDelayMs: 100, maxDelayMs: 10_000, jitter: 1 }));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(800);
    // With 400 uniform draws, both quarters of the range are hit (a failure here has odds below 1e-40).
    expect(delays.some((delay) => delay < 200)).toBe(true);
    expect(delays.some((delay) => delay > 600)).toBe(true);
  });

  it('rejects an attempt that is not a number >= 0', () => {
    expect(() => backoffDelay(Number.NaN, policy)).toThrow(/attempt must be a number >= 0/);
    expect(() => backoffDelay(-1, policy)).toThrow(/attempt must be a number >= 0/);
  });
});

describe('retryPolicy', () => {
  it('fills in the defaults', () => {
    expect(retryPolicy()).toEqual(DEFAULT_RETRY_POLICY);
    expect(retryPolicy({ maxAttempts: 2 })).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 2 });
    expect(retryPolicy({ baseDelayMs: 20_000 }).maxDelayMs).toBe(20_000);
  });

  it.each([
    [{ maxAttempts: 0 }, /`retry.maxAttempts` must be an integer >= 1/],
    [{ maxAttempts: 1.5 }, /`retry.maxAttempts` must be an integer >= 1/],
    [{ baseDelayMs: -1 }, /`retry.baseDelayMs` must be a number >= 0/],
    [{ baseDelayMs: 100, maxDelayMs: 10 }, /`retry.maxDelayMs` \(10\) must be at least `retry.baseDelayMs` \(100\)/],
    [{ jitter: 1.5 }, /`retry.jitter` must be a number between 0 and 1/],
  ])('rejects %o with a ConfigurationError', (options, message) => {
    let caught: unknown;
    try {
      retryPolicy(options);
    } catch (error) {
      caught = error;
    }
    expect(isConfigurationError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toMatch(/^\[@eventfold\/core\]/);
  });
});
