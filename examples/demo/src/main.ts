/**
 * The Eventfold demo: runs the scenario of `scenario.ts` and exits 1 if any step's outcome was not the
 * expected one, so it doubles as a smoke test. Run it with `bash scripts/demo.sh`.
 */
import { runDemo } from './scenario.js';

const DEMO_TIMEOUT_MS = 60_000;
const watchdog = setTimeout(() => {
  console.error(`\nThe demo did not finish within ${DEMO_TIMEOUT_MS / 1000} s.`);
  process.exit(1);
}, DEMO_TIMEOUT_MS);
watchdog.unref();

const { steps, failures } = await runDemo();
clearTimeout(watchdog);
if (failures.length === 0) {
  console.log(`All ${steps} steps went as expected.`);
} else {
  console.error(`\n${failures.length} unexpected outcome(s):\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
  process.exitCode = 1;
}
