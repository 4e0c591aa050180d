import { z } from 'zod';

const id = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`) })
    .min(1, { error: `${what} must not be empty` })
    .max(64, { error: `${what} must be at most 64 characters long` });

/** `POST /conferences`: a title, a start in the future, a capacity. Every problem at once. */
export function scheduleConferenceInput(now: () => Date) {
  return z.object({
    conferenceId: id('Conference id'),
    title: z
      .string({ error: (issue) => (issue.input === undefined ? 'Title is required' : 'Title must be a string') })
      .trim()
      .pipe(
        z
          .string()
          .min(3, { error: 'Title must be at least 3 characters long' })
          .max(200, { error: 'Title must be at most 200 characters long' }),
      ),
    startsAt: z.iso
      .datetime({ offset: true, error: 'Start must be a date and time with a time zone (ISO 8601), e.g. 2030-05-01T09:00:00Z' })
      .refine((startsAt) => Date.parse(startsAt) > now().getTime(), {
        error: 'Start must be in the future',
        when: (payload) => payload.issues.length === 0,
      }),
    capacity: z
      .number({ error: 'Capacity must be a number' })
      .int({ error: 'Capacity must be a whole number' })
      .min(1, { error: 'Capacity must be at least 1' })
      .max(100_000, { error: 'Capacity must be at most 100000' }),
  });
}

/** `POST /conferences/:id/registrations` and `DELETE /conferences/:id/registrations/:userId`. */
export const registrationInput = z.object({ conferenceId: id('Conference id'), userId: id('User id') });
