import { validate } from '@eventfold/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RegisterUser } from '../application/register-user.js';
import type { UsersReadModel } from '../application/users-projection.js';
import { UserNotFound } from '../domain/errors.js';
import type { ServiceMetrics } from '../metrics.js';
import { envelope, outcomeOf } from './responses.js';

const userParams = z.object({ id: z.string().min(1).max(64) });

/**
 * `POST /users` registers a user (the body is validated by the registration rules, every problem at once);
 * `GET /users/:id` reads the users projection, so a user appears there a moment after its 201.
 */
export function usersRoutes(
  app: FastifyInstance,
  options: { registerUser: RegisterUser; users: UsersReadModel; metrics: ServiceMetrics; now: () => Date },
): void {
  const { registerUser, users, metrics, now } = options;

  app.post('/users', async (request, reply) => {
    try {
      const { userId } = await registerUser(request.body, { requestId: request.id });
      metrics.commands.inc({ command: 'register-user', outcome: 'accepted' });
      return reply
        .code(201)
        .header('location', `/users/${userId}`)
        .send(envelope(request, { userId }, now));
    } catch (error) {
      metrics.commands.inc({ command: 'register-user', outcome: outcomeOf(error) });
      throw error;
    }
  });

  app.get('/users/:id', async (request) => {
    const { id } = await validate(userParams, request.params, 'Path');
    const user = users.find(id);
    if (user === undefined) throw new UserNotFound(id);
    return envelope(request, user, now);
  });
}
