// Run by `npm install`: the embedded cluster a new embedded database starts from
// (src/db/embedded-template.ts), with every migration in the tree and the job queue's schema
// already in it. Without it everything still works, only a first start is slower.
import { PgBoss, fromPglite } from 'pg-boss';
import { pgliteRunner } from '../db/client.ts';
import { writeEmbeddedTemplate } from '../db/embedded-template.ts';
import { migrate } from '../db/migrate.ts';
import { QUEUE_SCHEMA } from '../jobs/scheduler.ts';

try {
  const file = await writeEmbeddedTemplate(async (pglite, migrations) => {
    await migrate(pgliteRunner(pglite), migrations);
    const boss = new PgBoss({
      db: fromPglite(pglite),
      backend: 'pglite',
      schema: QUEUE_SCHEMA,
      schedule: false,
      supervise: false,
    });
    await boss.start();
    await boss.stop({ graceful: false, close: false });
  });
  process.stdout.write(`embedded database template: ${file}\n`);
} catch (error) {
  // Only a first start depends on it, and only for speed: an install must not fail over it.
  process.stderr.write(
    `embedded database template not made (first starts will be slower): ${(error as Error).message}\n`,
  );
}
