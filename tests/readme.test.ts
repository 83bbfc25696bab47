import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { workbook } from './helpers/workbook.ts';

/** The curl commands of the README's sh blocks, continuation lines joined, in order. */
function readmeCurlCommands(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const commands: string[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = block[1]!.replace(/\\\n\s*/g, '').split('\n');
    for (const line of lines) if (line.startsWith('curl ')) commands.push(line);
  }
  return commands;
}

// The README's commands, run as written by a new user (bash and the machine's curl), against a
// server on another port: only the address and the token are put in.
describe("the README's curl commands", () => {
  let t: TestApp;
  let base: string;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp();
    base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    dir = mkdtempSync(join(tmpdir(), 'readme-'));
    // The files the import commands send: a customer list as a store would have it.
    writeFileSync(
      join(dir, '会员.csv'),
      '姓名,手机号,性别,标签\n林小雨,13011112222,女,母婴|新客\n周建国,13011113333,男,\n',
    );
    const xlsx = await workbook(
      [
        ['姓名', '手机号', '性别', '标签'],
        ['陈思远', '13011114444', '男', '会员日'],
      ],
      { textColumns: [1] },
    );
    writeFileSync(join(dir, '会员.xlsx'), xlsx);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  it('finds the commands (so this test cannot pass by reading nothing)', () => {
    expect(readmeCurlCommands().length).toBeGreaterThanOrEqual(8);
  });

  it('each succeeds as written', async () => {
    const token = await t.token('OWNER');
    for (const command of readmeCurlCommands()) {
      const script = command.replaceAll('<token>', token).replaceAll('http://localhost:4000', base);
      // --fail-with-body: an HTTP error status fails the command, as it would fail the reader.
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          'bash',
          ['-c', `curl() { command curl --fail-with-body -sS "$@"; }\n${script}`],
          { cwd: dir, timeout: 60_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        ),
      );
      expect({ command, code: run.code, stderr: run.stderr }).toEqual({ command, code: 0, stderr: '' });
      if (/imports\/customers/.test(command) && !/templates/.test(command)) {
        const body = JSON.parse(run.stdout);
        expect(body.errors, `${command}\n${run.stdout}`).toEqual([]);
      }
    }
  });
});
