import { uuidv7, validate } from '@eventfold/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Conferences } from '../application/conferences.js';
import type { KnownUsers } from '../application/known-users.js';
import { type ConferenceState, seatsLeft } from '../domain/conference.js';
import { ConferenceNotFound, NotFoundError } from '../domain/errors.js';
import type { ServiceMetrics } from '../metrics.js';
import { envelope, outcomeOf } from './responses.js';

const idParams = z.object({ id: z.string().min(1).max(64) });
const registrationParams = z.object({ id: z.string().min(1).max(64), userId: z.string().min(1).max(64) });

/** The JSON body as an object, its fields checked later by the command's schema. */
const anyObject = z.record(z.string(), z.unknown());

function view(state: ConferenceState) {
  if (!state.scheduled) throw new Error('view of an unscheduled conference');
  const { conferenceId, title, startsAt, capacity, attendees } = state;
  return { conferenceId, title, startsAt, capacity, registered: attendees.length, seatsLeft: seatsLeft(state) };
}

/**
 * Conferences and registrations. `GET /conferences/:id` reads the conference's own stream (the write
 * model), so seats left are exact right after a registration; `GET /known-users/:id` shows whether
 * `user.created` has arrived for a user.
 */
export function conferencesRoutes(
  app: FastifyInstance,
  options: { conferences: Conferences; users: KnownUsers; metrics: ServiceMetrics; now: () => Date },
): void {
  const { conferences, users, metrics, now } = options;

  async function counted<T>(command: string, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      metrics.commands.inc({ command, outcome: 'accepted' });
      return result;
    } catch (error) {
      metrics.commands.inc({ command, outcome: outcomeOf(error) });
      throw error;
    }
  }
  const metadata = (requestId: string) => ({ metadata: { correlationId: requestId } });

  app.post('/conferences', async (request, reply) => {
    // The id is the server's to choose; a client-sent `conferenceId` is overridden.
    const input = { ...(await validate(anyObject, request.body, 'Body')), conferenceId: uuidv7() };
    const { state } = await counted('schedule-conference', () => conferences.schedule(input, metadata(request.id)));
    const conference = view(state);
    return reply
      .code(201)
      .header('location', `/conferences/${conference.conferenceId}`)
      .send(envelope(request, conference, now));
  });

  app.get('/conferences/:id', async (request) => {
    const { id } = await validate(idParams, request.params, 'Path');
    const { state } = await conferences.load(id);
    if (!state.scheduled) throw new ConferenceNotFound(id);
    return envelope(request, view(state), now);
  });

  app.post('/conferences/:id/registrations', async (request, reply) => {
    const { id } = await validate(idParams, request.params, 'Path');
    const body = await validate(anyObject, request.body, 'Body');
    const { state } = await counted('register-for-conference', () =>
      conferences.register({ ...body, conferenceId: id }, metadata(request.id)),
    );
    return reply.code(201).send(envelope(request, { conferenceId: id, userId: String(body.userId), seatsLeft: seatsLeft(state) }, now));
  });

  app.delete('/conferences/:id/registrations/:userId', async (request) => {
    const { id, userId } = await validate(registrationParams, request.params, 'Path');
    const { state } = await counted('cancel-registration', () => conferences.cancel({ conferenceId: id, userId }, metadata(request.id)));
    return envelope(request, { conferenceId: id, userId, seatsLeft: seatsLeft(state) }, now);
  });

  app.get('/known-users/:id', async (request) => {
    const { id } = await validate(idParams, request.params, 'Path');
    const user = await users.find(id);
    if (user === undefined) throw new NotFoundError(`User ${id} is not known to the registration service (yet)`);
    return envelope(request, user, now);
  });
}
