import { expect, it } from 'vitest';
import { startInMemoryStack } from './in-memory-stack.js';
import { runScenario } from './scenario.js';

// The demo over real sockets on 127.0.0.1 (ephemeral ports), as `bash scripts/demo.sh` runs it.
it('runs the demo scenario with every step as expected', async () => {
  const lines: string[] = [];
  const outcome = await runScenario(await startInMemoryStack(), (line) => lines.push(line));
  expect(outcome.failures, lines.join('\n')).toEqual([]);
  expect(outcome.steps).toBe(23);
  expect(lines.join('\n')).toContain(
    'Messages on the shared transport: user.created 3, user.creation-failed 3, registration.created 3, registration.cancelled 1',
  );
});
