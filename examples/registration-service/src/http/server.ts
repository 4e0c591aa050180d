import { uuidv7 } from '@eventfold/core';
import Fastify, { type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import type { LogLevel } from '../config.js';
import type { ServiceMetrics } from '../metrics.js';
import { sendProblem } from './responses.js';

/** Where and how much the service logs. */
export interface LogOptions {
  readonly level?: LogLevel;
  /** Where JSON lines go. @defaultValue standard output */
  readonly stream?: { write(line: string): void };
}

// Secrets never reach a log line, whatever gets logged: a body, a command, an input.
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'body.password',
  'req.body.password',
  'input.password',
  'req.headers.authorization',
  'req.headers.cookie',
];

const PROBES = new Set(['/health', '/ready', '/metrics']);

/** A client's `x-request-id` is kept when it looks like an id; anything else is replaced, so logs stay clean. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * A Fastify instance with the house rules: JSON logs (pino) carrying `requestId`, secrets redacted,
 * `x-request-id` accepted or generated and echoed, RFC 9457 problems for every error and unknown route,
 * and request durations in `http_request_duration_seconds`.
 */
export function createServer(options: { log: LogOptions | false; metrics: ServiceMetrics }): FastifyInstance {
  const { log, metrics } = options;
  const app = Fastify({
    logger:
      log === false
        ? false
        : {
            level: log.level ?? 'info',
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            ...(log.stream === undefined ? {} : { stream: log.stream }),
          },
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      // Probes hit these every few seconds; their log lines would drown the ones that matter.
      disableRequestLogging: (request) => PROBES.has(request.url),
    }),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : uuidv7();
    },
    // A small JSON API: nothing legitimate comes near this.
    bodyLimit: 64 * 1024,
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
  app.setNotFoundHandler((request, reply) => sendProblem(request, reply, Object.assign(new Error('Route not found'), { statusCode: 404 })));
  return app;
}

/**
 * Counts requests in flight, so a shutdown can wait for them after it stopped taking new ones
 * (`app.close()` waits for open sockets, not for requests injected in-process).
 */
export function trackRequestsInFlight(app: FastifyInstance): () => Promise<void> {
  const inFlight = new Set<FastifyRequest>();
  const waiters: (() => void)[] = [];
  const done = async (request: FastifyRequest) => {
    // A request may end by more than one of the ways below: count it once.
    if (inFlight.delete(request) && inFlight.size === 0) for (const wake of waiters.splice(0)) wake();
  };
  app.addHook('onRequest', async (request, reply) => {
    inFlight.add(request);
    // A client that leaves after sending its whole request reaches neither onResponse nor onRequestAbort
    // (Fastify runs that only while the request is still arriving); the response's 'close' still comes.
    reply.raw.once('close', () => void done(request));
  });
  app.addHook('onResponse', done);
  app.addHook('onRequestAbort', done);
  return () => (inFlight.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)));
}
