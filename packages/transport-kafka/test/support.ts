/**
 * Helpers of this package's integration tests: transports tuned for quick joins, rebalances and
 * redeliveries on the local broker, and a janitor that deletes the topics a suite created. The
 * servers come from test/support/services.ts, which throws (so the tests fail, never skip) when
 * one is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type KafkaConsumerOptions, type KafkaTransport, type KafkaTransportOptions, kafkaTransport } from '@eventfold/transport-kafka';
import { Kafka, logLevel } from 'kafkajs';
import { repoRoot, requireKafkaBrokers, requirePostgresUrl as requireServerUrl } from '../../../test/support/services.js';

export { isManagedByScript, requireKafkaBrokers, servicesScript, setupOrFailEach } from '../../../test/support/services.js';

/**
 * `requirePostgresUrl()`, tried for up to 20 s: other suites restart the shared server, and a
 * restart must not pass for a missing server. Still throws (the tests fail) when it stays away.
 */
export async function requirePostgresUrl(): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await requireServerUrl();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Consumer settings for tests: a member notices a rebalance within about half a second. */
export const fastConsumer: KafkaConsumerOptions = {
  sessionTimeout: 6_000,
  heartbeatInterval: 500,
  rebalanceTimeout: 10_000,
  maxWaitTimeInMs: 100,
  redeliveryDelayMs: 100,
  retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 10 },
};

/** A transport on the test broker with {@link fastConsumer}; `overrides` win. */
export async function testTransport(overrides: Partial<KafkaTransportOptions> = {}): Promise<KafkaTransport> {
  const brokers = await requireKafkaBrokers();
  return kafkaTransport({
    brokers,
    clientId: 'eventfold-test',
    logLevel: 'nothing',
    retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 10 },
    ...overrides,
    consumer: { ...fastConsumer, ...overrides.consumer },
  });
}

/** A topic or group name no other suite or run uses. */
export function freshName(label: string): string {
  return `eventfold-test-${label}-${randomBytes(5).toString('hex')}`;
}

/** Remembers topics and deletes them at the end of a suite, so runs do not pile topics up on the shared broker. */
export interface TopicJanitor {
  track(...topics: string[]): void;
  cleanup(): Promise<void>;
}

/** See {@link TopicJanitor}. */
export function topicJanitor(): TopicJanitor {
  const topics = new Set<string>();
  return {
    track(...names) {
      for (const name of names) topics.add(name);
    },
    async cleanup() {
      if (topics.size === 0) return;
      const admin = new Kafka({
        brokers: await requireKafkaBrokers(),
        clientId: 'eventfold-test-janitor',
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const doomed = [...topics].filter((topic) => existing.has(topic));
        if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
        topics.clear();
      } finally {
        await admin.disconnect();
      }
    },
  };
}

/** Messages in the topics (sum over partitions of high minus low watermark): what was published, duplicates included. */
export async function messagesIn(topics: readonly string[]): Promise<number> {
  const admin = new Kafka({ brokers: await requireKafkaBrokers(), clientId: 'eventfold-test-count', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    let total = 0;
    for (const topic of topics) {
      for (const partition of await admin.fetchTopicOffsets(topic)) total += Number(partition.high) - Number(partition.low);
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}

/** A worker script running in a child process, which a test can SIGKILL. */
export interface Worker {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code, or the signal that ended it. */
  readonly exited: Promise<number | NodeJS.Signals>;
  kill(): Promise<number | NodeJS.Signals>;
}

/**
 * Runs a TypeScript worker under Node with tsx's loader in the same process (`node --import tsx`,
 * not the tsx CLI, which would put a parent process between us and the worker and keep SIGKILL
 * from reaching it), resolving workspace packages to their sources.
 */
export function startWorker(script: string, env: Record<string, string>): Worker {
  const { NODE_OPTIONS: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@eventfold/source', script], {
    cwd: repoRoot,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? code ?? -1));
  });
  return {
    child,
    output: () => output,
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

/**
 * Polls `check` every `everyMs` until it returns true, failing after `timeoutMs` with the last error
 * it threw. A check that throws (a server restarted by another suite, say) counts as "not yet".
 */
export async function waitFor(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}${lastError === undefined ? '' : `: ${String(lastError)}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
