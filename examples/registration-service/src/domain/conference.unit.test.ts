import { given } from '@eventfold/core/testing';
import { describe, expect, it } from 'vitest';
import { type ConferenceEvent, conferenceAggregate, seatsLeft } from './conference.js';
import { AlreadyRegistered, ConferenceFull, ConferenceNotFound, ConflictError, RegistrationNotFound } from './errors.js';

const at = '2025-06-01T12:00:00.000Z';
const scheduled: ConferenceEvent = {
  type: 'conference.scheduled',
  data: { conferenceId: 'c1', title: 'EventfoldConf', startsAt: '2025-09-01T09:00:00Z', capacity: 2, scheduledAt: at },
};
const registered = (userId: string): ConferenceEvent => ({
  type: 'registration.created',
  data: { registrationId: `r-${userId}`, conferenceId: 'c1', userId, registeredAt: at },
});
const register = (userId: string) => ({ type: 'register' as const, conferenceId: 'c1', userId, registrationId: `r-${userId}`, at });
const cancel = (userId: string) => ({ type: 'cancel' as const, conferenceId: 'c1', userId, at });

describe('conference aggregate', () => {
  it('schedules once', async () => {
    const schedule = {
      type: 'schedule' as const,
      conferenceId: 'c1',
      title: 'EventfoldConf',
      startsAt: '2025-09-01T09:00:00Z',
      capacity: 2,
      at,
    };
    await given(conferenceAggregate).when(schedule).then([scheduled]);
    await given(conferenceAggregate, [scheduled]).when(schedule).thenThrows(ConflictError);
  });

  it('registers users while seats are left, once each', async () => {
    await given(conferenceAggregate, [scheduled])
      .when(register('ada'))
      .then([registered('ada')]);
    await given(conferenceAggregate, [scheduled, registered('ada')])
      .when(register('ada'))
      .thenThrows(AlreadyRegistered);
    await given(conferenceAggregate, [scheduled, registered('ada'), registered('bob')])
      .when(register('carol'))
      .thenThrows(ConferenceFull, (error) => expect(error.code).toBe('DOMAIN'));
    await given(conferenceAggregate).when(register('ada')).thenThrows(ConferenceNotFound);
  });

  it('frees a seat on cancellation, keeping the registration id', async () => {
    const full = [scheduled, registered('ada'), registered('bob')];
    await given(conferenceAggregate, full)
      .when(cancel('ada'))
      .then([{ type: 'registration.cancelled', data: { registrationId: 'r-ada', conferenceId: 'c1', userId: 'ada', cancelledAt: at } }]);
    const { state } = await given(conferenceAggregate, full).when(cancel('ada')).result();
    expect(seatsLeft(state)).toBe(1);
    await given(conferenceAggregate, [scheduled]).when(cancel('ada')).thenThrows(RegistrationNotFound);
  });
});
