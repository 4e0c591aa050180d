/**
 * Where the integration tests find their servers.
 *
 * Each `require*()` reads the URL variable that `scripts/services env` exports (or that points at
 * your own server), checks that the server accepts TCP connections, and returns the value. When the
 * variable is missing or the server is unreachable it THROWS — integration tests never skip
 * silently. Under CI the message is a plain failure; locally it also says how to start servers.
 *
 * `servicesScript()` runs `scripts/services` (for tests that stop and start a server on purpose).
 */
import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, beforeEach } from 'vitest';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const START_HINT = 'run: bash scripts/services up && eval "$(bash scripts/services env)"';

function isCI(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';
}

function unavailable(problem: string): never {
  throw new ServiceUnavailableError(isCI() ? problem : `${problem} — ${START_HINT}`);
}

export interface HostPort {
  host: string;
  port: number;
}

/** Resolves when host:port accepts a TCP connection, rejects after `timeoutMs`. */
export function checkTcp({ host, port }: HostPort, timeoutMs = 2000): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const socket = createConnection({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolvePromise();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

function parseHostPort(value: string, defaultPort: number): HostPort {
  const [host, port] = value.trim().startsWith('[')
    ? [value.slice(1, value.indexOf(']')), value.slice(value.indexOf(']') + 2)]
    : [value.split(':')[0] ?? '', value.split(':')[1]];
  return { host: host || '127.0.0.1', port: port ? Number(port) : defaultPort };
}

async function requireReachable(variable: string, what: string, endpoint: (value: string) => HostPort): Promise<string> {
  const value = process.env[variable];
  if (!value) unavailable(`${variable} is not set, so there is no ${what} to test against`);
  let target: HostPort;
  try {
    target = endpoint(value);
  } catch (error) {
    unavailable(`${variable}=${value} is not a valid ${what} address (${String(error)})`);
  }
  try {
    await checkTcp(target);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    unavailable(`${what} at ${target.host}:${target.port} (${variable}) is unreachable: ${reason}`);
  }
  return value;
}

/** DATABASE_URL, e.g. postgres://postgres@127.0.0.1:55432/eventfold */
export function requirePostgresUrl(): Promise<string> {
  return requireReachable('DATABASE_URL', 'PostgreSQL server', (value) => {
    const url = new URL(value);
    return { host: url.hostname || '127.0.0.1', port: url.port ? Number(url.port) : 5432 };
  });
}

/** MONGO_URL, e.g. mongodb://127.0.0.1:57017/?directConnection=true (the first host is checked). */
export function requireMongoUrl(): Promise<string> {
  return requireReachable('MONGO_URL', 'MongoDB-compatible server', (value) => {
    const match = /^mongodb:\/\/(?:[^@/]*@)?([^/?,]+)/.exec(value);
    if (!match?.[1]) throw new Error('expected mongodb://host[:port]/...');
    return parseHostPort(match[1], 27017);
  });
}

/** KAFKA_BROKERS, comma-separated host:port list, e.g. 127.0.0.1:59092. Returns the list. */
export async function requireKafkaBrokers(): Promise<string[]> {
  const value = await requireReachable('KAFKA_BROKERS', 'Kafka broker', (brokers) => {
    const first = brokers.split(',')[0]?.trim();
    if (!first) throw new Error('expected host:port[,host:port...]');
    return parseHostPort(first, 9092);
  });
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
}

/**
 * Registers `setup` as a beforeAll hook. If it throws (e.g. a `require*()` above), every test of
 * the suite fails with that error — vitest would otherwise report them as "skipped" beside one
 * failed hook, which reads like a skip in a summary.
 */
export function setupOrFailEach(setup: () => Promise<void>, timeoutMs = 60_000): void {
  let failure: unknown;
  beforeAll(async () => {
    try {
      await setup();
    } catch (error) {
      failure = error;
    }
  }, timeoutMs);
  beforeEach(() => {
    if (failure) throw failure;
  });
}

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bash scripts/services <args>` from the repository root. Rejects (with the output) when
 * the script fails, unless `allowFailure` is set.
 */
export function servicesScript(args: string[], options: { allowFailure?: boolean; timeoutMs?: number } = {}): Promise<ScriptResult> {
  const script = resolve(repoRoot, 'scripts/services');
  return new Promise((resolvePromise, reject) => {
    execFile(
      'bash',
      [script, ...args],
      { cwd: repoRoot, timeout: options.timeoutMs ?? 180_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const result = { code, stdout: String(stdout), stderr: String(stderr) };
        if (error && !options.allowFailure) {
          reject(new Error(`scripts/services ${args.join(' ')} failed (${code}):\n${result.stderr}${result.stdout}`));
          return;
        }
        resolvePromise(result);
      },
    );
  });
}

/**
 * True when `name` runs as a server started by scripts/services (not an external URL), i.e. when
 * tests may stop and start it.
 */
export async function isManagedByScript(name: 'postgres' | 'kafka' | 'mongo'): Promise<boolean> {
  const { stdout } = await servicesScript(['status', name], { allowFailure: true });
  return new RegExp(`^${name}\\s+running\\b`, 'm').test(stdout);
}
