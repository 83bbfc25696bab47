// Writes the SDL of the schema as configured (core + installed plugins) to schema/schema.graphql.
// A test fails when the committed file differs, so API changes are always visible in review.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchemaSdl } from '../schema/print.ts';

const target = fileURLToPath(new URL('../../schema/schema.graphql', import.meta.url));
writeFileSync(target, await printSchemaSdl());
process.stdout.write(`wrote ${target}\n`);
