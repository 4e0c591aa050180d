import { isConcurrencyError } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import {
  type AppendFailure,
  cheapPasswordHasher,
  failingStore,
  json,
  startTestService,
  type TestService,
  validUser,
} from '../test-support.js';

async function withService<T>(t: TestService, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    await t.stop();
  }
}

const registered = (t: TestService) => t.store.allEvents().filter((event) => event.type === 'user.registered');

describe('unique usernames and emails', () => {
  it('answers 409 for a username taken in another case, and for an email taken in another case', async () => {
    const t = await startTestService();
    await withService(t, async () => {
      expect((await t.post(validUser())).statusCode).toBe(201);
      const username = await t.post(validUser({ username: 'ADA', email: 'other@gmail.com' }));
      expect(username.statusCode).toBe(409);
      expect(json(username)).toMatchObject({
        type: 'urn:eventfold:problem:username-taken',
        status: 409,
        errors: [{ path: 'username', message: 'Username "ADA" is already taken' }],
      });
      const email = await t.post(validUser({ username: 'grace', email: 'ADA@Gmail.COM' }));
      expect(email.statusCode).toBe(409);
      expect(json(email)).toMatchObject({
        type: 'urn:eventfold:problem:email-taken',
        errors: [{ path: 'email', message: 'This email address is already registered' }],
      });
      expect(email.body).not.toMatch(/ada@gmail/i);
    });
  });

  it('lets exactly one of 50 concurrent registrations of one username through (in any case); the rest get 409', async () => {
    // Every request reads the username stream before any may append to it, as when 50 requests arrive
    // at once at a real database: all 50 decide against version 0, and the store's check must pick one.
    let conflicts = 0;
    let reads = 0;
    let allRead: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (allRead = resolve));
    const t = await startTestService({
      wrapStore: (store) => ({
        ...store,
        readStream: async (streamId, options) => {
          const events = await store.readStream(streamId, options);
          if (streamId === 'username-racer' && ++reads === 50) allRead();
          return events;
        },
        append: async (streamId, events, options) => {
          if (streamId === 'username-racer') await gate;
          return store.append(streamId, events, options).catch((error: unknown) => {
            if (isConcurrencyError(error)) conflicts++;
            throw error;
          });
        },
      }),
    });
    await withService(t, async () => {
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          t.post(validUser({ username: i % 2 === 0 ? 'racer' : 'RACER', email: `racer${i}@gmail.com` })),
        ),
      );
      const statuses = responses.map((response) => response.statusCode);
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);
      expect(statuses.filter((status) => status === 409)).toHaveLength(49);
      expect(responses.filter((response) => response.statusCode === 409).every((r) => json(r).type.endsWith('username-taken'))).toBe(true);
      expect(registered(t)).toHaveLength(1);
      expect(conflicts).toBe(49); // then each loser reloaded, saw the winner's claim and gave up
      // The loser's email reservations were never made, or were released: all 49 addresses are free.
      const freed = await t.post(validUser({ username: 'someoneelse', email: 'racer1@gmail.com' }));
      expect(freed.statusCode).toBe(201);
    });
  });

  it('lets exactly one of 50 concurrent registrations of one email through', async () => {
    const t = await startTestService();
    await withService(t, async () => {
      const statuses = (
        await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            t.post(validUser({ username: `user${i}`, email: i % 2 ? 'Same@gmail.com' : 'same@GMAIL.com' })),
          ),
        )
      ).map((response) => response.statusCode);
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);
      expect(statuses.filter((status) => status === 409)).toHaveLength(49);
      expect(registered(t)).toHaveLength(1);
      // Each loser had claimed its username first, and released it when the email was taken.
      expect((await t.post(validUser({ username: 'user7', email: 'user7@gmail.com' }))).statusCode).toBe(201);
    });
  });
});

describe('reservations when a later step fails', () => {
  it('releases the username when the email turns out to be taken', async () => {
    const t = await startTestService();
    await withService(t, async () => {
      await t.post(validUser({ username: 'first', email: 'shared@gmail.com' }));
      expect((await t.post(validUser({ username: 'second', email: 'shared@gmail.com' }))).statusCode).toBe(409);
      expect((await t.post(validUser({ username: 'second', email: 'second@gmail.com' }))).statusCode).toBe(201);
      const usernameStream = t.store.allEvents().filter((event) => event.streamId === 'username-second');
      expect(usernameStream.map((event) => [event.type, (event.data as { reason?: string }).reason])).toEqual([
        ['reservation.claimed', undefined],
        ['reservation.released', 'registration failed'],
        ['reservation.claimed', undefined],
      ]);
    });
  });

  it('keeps the reservations when the user append succeeded but the store reported a failure (503)', async () => {
    let failUserAppend = true;
    const t = await startTestService({
      wrapStore: (store) =>
        failingStore(store, {
          append: (streamId): AppendFailure => (failUserAppend && streamId.startsWith('user-') ? 'unavailable-after' : undefined),
        }),
    });
    await withService(t, async () => {
      const response = await t.post(validUser());
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      failUserAppend = false;
      // The user was in fact registered: its reservations must hold.
      expect(registered(t)).toHaveLength(1);
      expect((await t.post(validUser({ email: 'other@gmail.com' }))).statusCode).toBe(409);
      expect((await t.post(validUser({ username: 'other' }))).statusCode).toBe(409);
    });
  });

  it('leaves the reservations of a registration it could not finish nor abandon, until they expire', async () => {
    let storeDown = true;
    const t = await startTestService({
      reservationTimeoutMs: 60_000,
      wrapStore: (store) =>
        failingStore(store, {
          append: (streamId): AppendFailure => (storeDown && streamId.startsWith('user-') ? 'unavailable-before' : undefined),
        }),
    });
    await withService(t, async () => {
      expect((await t.post(validUser())).statusCode).toBe(503);
      expect(t.logs.some((line) => line.includes('Could not release reservations'))).toBe(true);
      storeDown = false;
      expect((await t.post(validUser())).statusCode).toBe(409);
      t.advance(60_000);
      const retried = await t.post(validUser());
      expect(retried.statusCode).toBe(201);
      const types = t.store.allEvents().map((event) => event.type);
      expect(types.filter((type) => type === 'user.registration-abandoned')).toHaveLength(1);
      expect(registered(t)).toHaveLength(1);
    });
  });

  it('fails a registration stalled past the timeout with 409 once another one took its username over', async () => {
    const real = cheapPasswordHasher();
    let releaseStalled: () => void = () => undefined;
    let calls = 0;
    const t = await startTestService({
      passwordHasher: {
        verify: real.verify,
        async hash(password) {
          if (calls++ === 0) await new Promise<void>((resolve) => (releaseStalled = resolve));
          return real.hash(password);
        },
      },
    });
    await withService(t, async () => {
      const stalled = t.post(validUser());
      await expect.poll(() => calls).toBe(1); // both reservations are claimed; hashing hangs
      t.advance(60_001);
      const takeover = await t.post(validUser({ email: 'ada.l@gmail.com' }));
      expect(takeover.statusCode).toBe(201);
      releaseStalled();
      const late = await stalled;
      expect(late.statusCode).toBe(409);
      expect(json(late).detail).toBe('The registration was abandoned before it completed; please try again');
      expect(registered(t).map((event) => (event.data as { email: string }).email)).toEqual(['ada.l@gmail.com']);
      // The stalled registration's email reservation was released by its own clean-up.
      expect((await t.post(validUser({ username: 'grace', email: 'ada@gmail.com' }))).statusCode).toBe(201);
    });
  });
});
