import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a small program under the process guard (src/ops/process-guard.ts) in a process of its own. */
function runGuarded(body: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const program = `
    import { createLogger } from './src/logger.ts';
    import { guardProcess } from './src/ops/process-guard.ts';
    const logger = createLogger('info');
    let broken = null;
    guardProcess(logger, () => broken);
    ${body}
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('process-level failures', () => {
  it('an unhandled rejection and an uncaught exception are logged with their error; the process lives on', async () => {
    const { code, stdout } = await runGuarded(`
      Promise.reject(new Error('lost rejection'));
      setTimeout(() => { throw new Error('thrown from a callback'); }, 10);
      setTimeout(() => { console.log('STILL SERVING'); process.exit(0); }, 200);
    `);
    expect(code).toBe(0);
    const lines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.kind === 'unhandledRejection')).toMatchObject({
      level: 50,
      err: { message: 'lost rejection' },
    });
    expect(lines.find((l) => l.kind === 'uncaughtException')).toMatchObject({
      level: 50,
      err: { message: 'thrown from a callback' },
    });
    expect(stdout).toContain('STILL SERVING');
  });

  it('exits non-zero, saying why, when the process can no longer serve', async () => {
    const { code, stdout, stderr } = await runGuarded(`
      broken = 'the HTTP server is no longer listening';
      setTimeout(() => { throw new Error('socket gone'); }, 10);
      setTimeout(() => { console.log('STILL SERVING'); }, 500);
    `);
    expect(code).toBe(1);
    expect(stderr).toContain('store-crm cannot serve any more: the HTTP server is no longer listening');
    expect(stdout).toContain('"level":60');
    expect(stdout).not.toContain('STILL SERVING');
  });
});
