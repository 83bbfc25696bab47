import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');
const version = (v: string) => v.split('.').map(Number) as [number, number, number];
const atLeast = ([a, b, c]: number[], [x, y, z]: number[]) =>
  a! > x! || (a === x && (b! > y! || (b === y && c! >= z!)));

// What the README promises about Node.js is what package.json declares and what runs the tests.
describe('supported Node.js', () => {
  const engines = JSON.parse(read('package.json')).engines.node as string;
  const floor = /^>=(\d+\.\d+)$/.exec(engines)?.[1];

  it('package.json declares one floor, the one the README and .nvmrc name', () => {
    expect(floor).toBeDefined();
    expect(read('README.md')).toContain(`Node.js ${floor} or later`);
    expect(Number(read('.nvmrc').trim())).toBe(version(floor!)[0]);
  });

  it('no installed dependency needs a newer Node than that floor', () => {
    const lock = JSON.parse(read('package-lock.json')) as {
      packages: Record<string, { engines?: { node?: string }; dev?: boolean; optional?: boolean }>;
    };
    const tooNew: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages)) {
      const range = pkg.engines?.node;
      // Only simple ">=x.y" floors can contradict ours; ranges such as "^20.19 || >=22.12" accept it.
      const need = range && /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
      if (need && !atLeast(version(`${floor}.0`), [Number(need[1]), Number(need[2] ?? 0), Number(need[3] ?? 0)]))
        tooNew.push(`${path} (${range})`);
    }
    expect(tooNew).toEqual([]);
  });

  it('the Node running this suite is a supported one', () => {
    expect(atLeast(version(process.versions.node), version(`${floor}.0`)), `Node ${process.versions.node}`).toBe(true);
  });
});
