/**
 * No line past the configured width (biome.json's formatter.lineWidth). Biome's formatter breaks
 * what it can at that width, but not a string, a template literal (SQL, GraphQL) or a comment,
 * and it has no lint rule for line length: this is that rule, run by `npm run lint`.
 *
 * It reads the files Biome reads: tracked by git, of the kinds Biome formats, less biome.json's
 * `!` exclusions. Every line past the width fails.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const biome = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8')) as {
  files: { includes: string[] };
  formatter: { lineWidth: number };
};
const width = biome.formatter.lineWidth;

/** biome.json's `!pattern` exclusions as regular expressions over repository paths. */
const excluded = biome.files.includes
  .filter((p) => p.startsWith('!'))
  .map((p) => {
    const glob = p
      .slice(1)
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '(?:.*/)?')
      .replace(/\*/g, '[^/]*');
    return new RegExp(`^${glob}(?:/.*)?$`);
  });
const FORMATTED = /\.(?:[cm]?[jt]sx?|jsonc?)$/;

const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f && FORMATTED.test(f) && !excluded.some((re) => re.test(f)));

const long = new Map<string, number[]>();
for (const file of files) {
  let text: string;
  try {
    text = readFileSync(join(root, file), 'utf8');
  } catch {
    continue; // deleted in the work tree, not yet in the index
  }
  text.split('\n').forEach((line, i) => {
    // Counted in characters (code points): a Chinese character is one.
    if ([...line].length > width) long.set(file, [...(long.get(file) ?? []), i + 1]);
  });
}

for (const [file, lines] of long) {
  console.error(`${file}: ${lines.length} lines past ${width} characters, at lines ${lines.join(', ')}`);
}
if (long.size) {
  console.error('Break them: Biome does not split strings, template literals or comments.');
  process.exit(1);
}
