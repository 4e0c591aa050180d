/**
 * Runs the store-postgres suite with the shared harness and writes benchmarks/results/store-postgres.json
 * and .md. `pnpm --dir benchmarks exec tsx --conditions=@eventfold/source store-postgres/run.ts`
 * (DATABASE_URL from `scripts/services env`; BENCH_ROUNDS, default 5; BENCH_PG_CATCHUP_EVENTS, the
 * size of the readAll catch-up, default 1,000,000). Never part of the test suite.
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
await writeFile(join(resultsDir, 'store-postgres.json'), `${JSON.stringify(result, null, 2)}\n`);
await writeFile(join(resultsDir, 'store-postgres.md'), toMarkdown(result));
console.log(`\n${toMarkdown(result)}`);
