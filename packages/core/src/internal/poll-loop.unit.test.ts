import { describe, expect, it } from 'vitest';
import { pollLoop } from './poll-loop.js';
import { eventually } from './transport-law-kit.js';

const idle = {
  pollIntervalMs: 60_000,
  onError: () => undefined,
  errorBackoff: { maxAttempts: 1, baseDelayMs: 60_000, maxDelayMs: 60_000, jitter: 0 },
};

describe('pollLoop', () => {
  it('runs a pass at start, then again when woken, not before', async () => {
    let passes = 0;
    const loop = pollLoop({
      ...idle,
      pass: async () => {
        passes++;
        return false;
      },
    });
    loop.start();
    await eventually('the first pass ran', 1_000, () => passes === 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(passes).toBe(1);
    loop.wake();
    await eventually('the woken pass ran', 1_000, () => passes === 2);
    await loop.stop();
    expect(loop.running).toBe(false);
  });

  it('runs again at once when a wake arrives during a pass, or when the pass says there is more', async () => {
    let passes = 0;
    let loop: ReturnType<typeof pollLoop> | undefined;
    loop = pollLoop({
      ...idle,
      pass: async () => {
        passes++;
        if (passes === 1) loop?.wake();
        return passes === 2;
      },
    });
    loop.start();
    await eventually('three passes ran', 1_000, () => passes === 3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(passes).toBe(3);
    await loop.stop();
  });

  it('backs off after a failure, ignoring wakes, and reports the error', async () => {
    const errors: unknown[] = [];
    let passes = 0;
    const loop = pollLoop({
      ...idle,
      onError: (error) => errors.push(error),
      pass: async () => {
        passes++;
        throw new Error('down');
      },
    });
    loop.start();
    await eventually('the failure is reported', 1_000, () => errors.length === 1);
    loop.wake();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(passes).toBe(1);
    const stopping = Date.now();
    await loop.stop();
    expect(Date.now() - stopping).toBeLessThan(1_000);
  });

  it('waits for the pass in flight on stop, and a start during a stop begins a fresh run', async () => {
    let release: () => void = () => undefined;
    const log: string[] = [];
    let passes = 0;
    const loop = pollLoop({
      ...idle,
      pass: async () => {
        const pass = ++passes;
        log.push(`start ${pass}`);
        if (pass === 1) await new Promise<void>((resolve) => (release = resolve));
        log.push(`end ${pass}`);
        return false;
      },
    });
    loop.start();
    await eventually('the first pass is in flight', 1_000, () => log.length === 1);
    const stopped = loop.stop().then(() => log.push('stopped'));
    loop.start();
    release();
    await stopped;
    await eventually('the fresh run made its pass', 1_000, () => log.includes('end 2'));
    expect(log.indexOf('end 1')).toBeLessThan(log.indexOf('stopped'));
    expect(passes).toBe(2);
    await loop.stop();
  });
});
