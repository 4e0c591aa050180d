/**
 * The Eventfold demo: runs the scenario of `scenario.ts` and exits 1 if any step's outcome was not the
 * expected one, so it doubles as a smoke test. On the embedded default: `bash scripts/demo.sh`. On the
 * real servers (`--real`: PostgreSQL and Kafka; `--real=mongo`: FerretDB and Kafka):
 * `bash scripts/demo.sh --real`, which starts them when they are not running.
 */
import { startInMemoryStack } from './in-memory-stack.js';
import { startRealDemoStack } from './real-demo-stack.js';
import { runScenario } from './scenario.js';

const mode = process.argv.slice(2).find((arg) => arg.startsWith('--real'));
if (mode !== undefined && !['--real', '--real=postgres', '--real=mongo'].includes(mode)) {
  console.error(`Unknown option ${mode}: use --real (PostgreSQL and Kafka) or --real=mongo (FerretDB and Kafka)`);
  process.exit(2);
}

// Kafka's first consumer-group join takes seconds, and each password hash tens of milliseconds.
const DEMO_TIMEOUT_MS = mode === undefined ? 60_000 : 180_000;
const watchdog = setTimeout(() => {
  console.error(`\nThe demo did not finish within ${DEMO_TIMEOUT_MS / 1000} s.`);
  process.exit(1);
}, DEMO_TIMEOUT_MS);
watchdog.unref();

try {
  const stack =
    mode === undefined ? await startInMemoryStack() : await startRealDemoStack(mode === '--real=mongo' ? 'mongo' : 'postgres', process.env);
  const { steps, failures } = await runScenario(stack);
  clearTimeout(watchdog);
  if (failures.length === 0) {
    console.log(`All ${steps} steps went as expected.`);
  } else {
    console.error(`\n${failures.length} unexpected outcome(s):\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
    process.exitCode = 1;
  }
} catch (error) {
  console.error(`The demo could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
