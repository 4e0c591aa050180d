// `bash scripts/demo.sh --real` without the script: the demo's 23 steps on PostgreSQL and Kafka, wired as
// the services' main.ts wires them (what the steps do on real servers is tested in real-stack.int.test.ts;
// this keeps the documented command working). Fails, never skips, without the servers.
import { expect, it } from 'vitest';
import { requireKafkaBrokers, requirePostgresUrl } from '../../../test/support/services.js';
import { startRealDemoStack } from './real-demo-stack.js';
import { runScenario } from './scenario.js';

it('runs the demo scenario on PostgreSQL and Kafka with every step as expected', async () => {
  const env = { DATABASE_URL: await requirePostgresUrl(), KAFKA_BROKERS: (await requireKafkaBrokers()).join(',') };
  const lines: string[] = [];
  const outcome = await runScenario(await startRealDemoStack('postgres', env), (line) => lines.push(line));
  expect(outcome.failures, lines.join('\n')).toEqual([]);
  expect(outcome.steps).toBe(23);
  expect(lines.join('\n')).toContain(
    'Messages on Kafka: user.created 3, user.creation-failed 3, registration.created 3, registration.cancelled 1',
  );
}, 180_000);
