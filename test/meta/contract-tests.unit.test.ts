import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every adapter proves its port by running the core conformance suite in exactly one
// `*.contract.int.test.ts`. This test keeps that rule from eroding as adapters are added.

const root = join(import.meta.dirname, '..', '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !path.includes('node_modules') && !path.includes(`${join('', 'dist')}`));
}

function contractTests(dir: string): { path: string; source: string }[] {
  return filesUnder(dir)
    .filter((path) => path.endsWith('.contract.int.test.ts'))
    .map((path) => ({ path, source: readFileSync(path, 'utf8') }));
}

const adapterPackages = readdirSync(join(root, 'packages')).filter((name) => /^(store|transport)-/.test(name));

describe('every adapter runs its conformance suite', () => {
  for (const name of adapterPackages) {
    const dir = join(root, 'packages', name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { private?: boolean };
    const suite = name.startsWith('store-') ? 'describeEventStoreConformance' : 'describeTransportConformance';
    const inDevelopment = manifest.private === true;

    it.skipIf(inDevelopment)(
      `${name} has exactly one contract test calling ${suite}${inDevelopment ? ' (skipped: the package is private, still in development)' : ''}`,
      () => {
        const tests = contractTests(join(dir, 'src'));
        expect(tests.map((test) => test.path)).toHaveLength(1);
        expect(tests[0]?.source).toContain(`${suite}(`);
      },
    );
  }

  it('the in-memory store and transport in core each have one', () => {
    const tests = contractTests(join(root, 'packages', 'core', 'src'));
    expect(tests.filter((test) => test.source.includes('describeEventStoreConformance('))).toHaveLength(1);
    expect(tests.filter((test) => test.source.includes('describeTransportConformance('))).toHaveLength(1);
  });
});
