/**
 * `pnpm bench [suite …]`: runs benchmark suites (all by default), prints each workload's medians
 * and the ratio ours / baseline, and writes `benchmarks/results/<suite>.json` and `.md`.
 * BENCH_ROUNDS sets the number of interleaved rounds (default 5). BENCH_ONLY=part,part runs only the
 * workloads whose name contains one of the parts, and then only prints (the results files keep the
 * last full run).
 */
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSuite, type Suite, toMarkdown } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, '..', 'results');
const available = readdirSync(join(here, 'suites'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.replace(/\.ts$/, ''))
  .sort();

const requested = process.argv.slice(2).filter((arg) => arg !== '--');
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`Unknown suite(s): ${unknown.join(', ')}. Available: ${available.join(', ')}`);
  process.exit(2);
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`BENCH_ROUNDS must be a positive integer, got ${process.env.BENCH_ROUNDS}`);
  process.exit(2);
}

const only = (process.env.BENCH_ONLY ?? '').split(',').filter((part) => part !== '');

await mkdir(resultsDir, { recursive: true });
for (const name of requested.length > 0 ? requested : available) {
  const suite = ((await import(`./suites/${name}.ts`)) as { default: Suite }).default;
  console.log(`\n# ${suite.name} (${rounds} rounds; baseline: ${suite.baseline})`);
  const result = await runSuite(suite, rounds, only);
  if (only.length === 0) {
    await writeFile(join(resultsDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(join(resultsDir, `${name}.md`), toMarkdown(result));
  }
  console.log(`\n${toMarkdown(result)}`);
}
