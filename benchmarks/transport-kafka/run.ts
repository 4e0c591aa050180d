/**
 * Runs the transport-kafka suite with the shared harness and writes
 * benchmarks/results/transport-kafka.json and .md.
 * `pnpm --dir benchmarks exec tsx --conditions=@eventfold/source transport-kafka/run.ts`
 * (KAFKA_BROKERS from `scripts/services env`; BENCH_ROUNDS, default 5).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runSuite, toMarkdown } from '../src/harness.js';
import suite from './suite.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const resultsDir = join(import.meta.dirname, '..', 'results');
console.log(`\n# ${suite.name} (${rounds} rounds; baseline: ${suite.baseline})`);
const result = await runSuite(suite, rounds);
await mkdir(resultsDir, { recursive: true });
await writeFile(join(resultsDir, 'transport-kafka.json'), `${JSON.stringify(result, null, 2)}\n`);
await writeFile(join(resultsDir, 'transport-kafka.md'), toMarkdown(result));
console.log(`\n${toMarkdown(result)}`);
