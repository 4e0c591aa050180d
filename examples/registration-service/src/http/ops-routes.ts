import type { FastifyInstance } from 'fastify';
import type { ServiceMetrics } from '../metrics.js';

/** A readiness check: resolves when its dependency works. */
export type ReadinessCheck = () => Promise<unknown>;

const CHECK_TIMEOUT_MS = 2_000;

/**
 * `/health`: liveness, the process answers. `/ready`: every dependency check passes and the service is
 * not starting or stopping (503 otherwise, naming the failed checks). `/metrics`: Prometheus text.
 */
export function opsRoutes(
  app: FastifyInstance,
  options: { metrics: ServiceMetrics; checks: Readonly<Record<string, ReadinessCheck>>; accepting: () => boolean },
): void {
  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (request, reply) => {
    const entries = await Promise.all(
      Object.entries(options.checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          return [name, 'ok'] as const;
        } catch (error) {
          request.log.warn({ err: error, check: name }, 'readiness check failed');
          return [name, 'failed'] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const ready = options.accepting() && entries.every(([, outcome]) => outcome === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : options.accepting() ? 'not ready' : 'stopping', checks });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(text);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
