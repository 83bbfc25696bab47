import { NotFoundError } from '../errors/index.ts';
import type { Builder } from '../schema/builder.ts';

/** What is installed, and running a plugin's scheduled job by hand (operators, tests, catch-up). */
export function addPluginHostTypes(builder: Builder) {
  const InstalledPlugin = builder.simpleObject('InstalledPlugin', {
    fields: (t) => ({
      name: t.string(),
      dependsOn: t.stringList(),
      jobs: t.stringList({ description: 'Names of its scheduled jobs.' }),
      permissions: t.stringList({ description: "The permissions it declares, granted to roles like core's." }),
      tenders: t.stringList({ description: 'Codes of the tenders it settles (values of PaymentMethod).' }),
      routes: t.stringList({ description: 'Its HTTP routes: method and path (or prefix, ending in *).' }),
    }),
  });
  const JobRun = builder.simpleObject('JobRun', {
    fields: (t) => ({
      name: t.string(),
      asOf: t.field({ type: 'DateTime' }),
      processed: t.int({ description: 'How many items the run changed; 0 when there was nothing to do.' }),
    }),
  });

  builder.queryFields((t) => ({
    installedPlugins: t.field({
      type: [InstalledPlugin],
      description: 'The plugins of this deployment, in the order they run.',
      authScopes: { signedIn: true },
      resolve: (_root, _args, ctx) =>
        ctx.app.plugins.plugins.map((p) => ({
          name: p.name,
          dependsOn: p.dependsOn ?? [],
          jobs: (p.jobs ?? []).map((j) => j.name),
          permissions: (p.permissions ?? []).map((x) => x.name),
          tenders: (p.tenders ?? []).map((x) => x.code),
          routes: (p.routes ?? []).map((r) => `${r.method} ${r.path ?? `${r.prefix}*`}`),
        })),
    }),
  }));

  builder.mutationFields((t) => ({
    runScheduledJob: t.field({
      type: JobRun,
      description:
        'Runs a scheduled job now, or as of another moment (catching up after downtime). Jobs are safe to run twice.',
      authScopes: { permission: 'system:operate' },
      args: { name: t.arg.string({ required: true }), asOf: t.arg({ type: 'DateTime' }) },
      resolve: async (_root, args, ctx) => {
        if (!ctx.app.plugins.jobs.some((j) => j.name === args.name))
          throw new NotFoundError('Job', args.name, ['name']);
        const asOf = args.asOf ?? new Date();
        const { processed } = await ctx.app.plugins.runJob(args.name, asOf);
        return { name: args.name, asOf, processed };
      },
    }),
  }));
}
