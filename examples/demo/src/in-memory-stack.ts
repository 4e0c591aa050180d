/**
 * The demo's embedded default: each service with its own in-memory event store, both on one in-memory
 * transport (3 partitions per topic), so `user.created` flows from one to the other in one process.
 */
import { inMemoryEventStore, inMemoryTransport } from '@eventfold/core';
import { createRegistrationService } from '@eventfold/example-registration-service';
import { createUserService, passwordHasher } from '@eventfold/example-user-service';
import type { DemoStack } from './scenario.js';

const quiet = { level: 'warn' } as const; // the services' JSON logs: warnings and errors only

/** Starts both services on the embedded default, listening on ephemeral ports of 127.0.0.1. */
export async function startInMemoryStack(): Promise<DemoStack> {
  const transport = inMemoryTransport({ partitions: 3 });
  const userStore = inMemoryEventStore();
  const registrationStore = inMemoryEventStore();
  const hasher = passwordHasher(); // the service's default: argon2id where this Node has it
  const users = createUserService({ store: userStore, transport, passwordHasher: hasher, log: quiet });
  const registrations = createRegistrationService({ store: registrationStore, transport, log: quiet });
  const close = async () => {
    await registrations.stop();
    await users.stop();
    await transport.close();
    await registrationStore.close();
    await userStore.close();
  };
  try {
    await users.start();
    await registrations.start();
    const userApi = await users.listen({ port: 0, host: '127.0.0.1' });
    const registrationApi = await registrations.listen({ port: 0, host: '127.0.0.1' });
    return {
      header: [
        'Eventfold demo: two services in one process, on the embedded in-memory store and transport',
        `  user-service          ${userApi}   (its own in-memory event store)`,
        `  registration-service  ${registrationApi}   (its own in-memory event store)`,
        '  shared transport      in-memory, 3 partitions per topic; user.created flows from one service to the other',
      ],
      userApi,
      registrationApi,
      passwordHashing: hasher.scheme,
      deliveryTimeoutMs: 5_000,
      transportName: 'the shared transport',
      async settle() {
        await users.settle();
        await registrations.settle();
      },
      messageCount: async (topic) => transport.messages(topic).length,
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
