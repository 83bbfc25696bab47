import { exampleCell } from './workbook.ts';
import { ImportOutcome } from '../generated/prisma/enums.ts';
import type { Builder } from '../schema/builder.ts';

/** The import history and the kinds of import file, in GraphQL. The files themselves go over HTTP (http.ts). */
export function addImportTypes(builder: Builder) {
  const ImportOutcomeEnum = builder.enumType(ImportOutcome, {
    name: 'ImportOutcome',
    description:
      'APPLIED: written. CHECKED: a dry run with every row valid, nothing written. REJECTED: invalid rows, ' +
      'nothing written.',
  });

  // biome-ignore lint/suspicious/noExplicitAny: same fields on both model variants; their builders differ only in name
  const fields = (t: any) => ({
    importedBy: t.exposeString('importedBy', {
      description: "The staff member's or API key's name when the file was sent.",
    }),
    staff: t.relation('staff', { nullable: true, description: 'The staff member who sent it (null for an API key).' }),
    fileName: t.exposeString('fileName', { nullable: true }),
    encoding: t.exposeString('encoding', {
      description: 'How a CSV file was read: UTF-8, GB18030, UTF-16LE or UTF-16BE (UTF-8 for workbooks).',
    }),
    dryRun: t.exposeBoolean('dryRun'),
    outcome: t.expose('outcome', { type: ImportOutcomeEnum }),
    rowCount: t.exposeInt('rowCount', { description: 'Data rows read; blank rows are not counted.' }),
    created: t.exposeInt('created'),
    updated: t.exposeInt('updated'),
    unchanged: t.exposeInt('unchanged'),
    errorCount: t.exposeInt('errorCount'),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime' }),
  });

  const DataImportRef = builder.prismaNode('DataImport', {
    id: { field: 'id' },
    authScopes: { permission: 'customer:import' },
    description: 'One file sent to POST /imports/<kind>: who sent it, when, which kind of file, and what came of it.',
    fields: (t) => ({
      ...fields(t),
      kind: t.exposeString('kind', { description: 'The import kind (ImportKindInfo.name).' }),
      format: t.exposeString('format', { description: 'CSV or XLSX.' }),
    }),
  });

  // The customer imports' own type, as it was before every kind shared the history.
  const CustomerImportRef = builder.prismaNode('DataImport', {
    variant: 'CustomerImport',
    id: { field: 'id' },
    authScopes: { permission: 'customer:import' },
    description: 'One file of customers sent to POST /imports/customers.csv: who sent it, when, and what came of it.',
    fields: (t) => fields(t),
  });

  const ImportColumnInfo = builder.simpleObject('ImportColumnInfo', {
    description: "A column of an import file, as the kind's template shows it.",
    fields: (t) => ({
      header: t.string({ description: "The template's header, in the caller's language (either language is read)." }),
      otherNames: t.stringList({ description: 'Other headers the import reads as this column.' }),
      required: t.boolean(),
      description: t.string(),
      example: t.string(),
    }),
  });

  const ImportKindInfo = builder.simpleObject('ImportKindInfo', {
    description:
      'A kind of file POST /imports/<name> reads, in the order a migration imports them (docs/migration.md).',
    fields: (t) => ({
      name: t.string(),
      title: t.string(),
      permission: t.string({ description: 'The permission a caller needs to import it.' }),
      resumable: t.boolean({
        description:
          'Sales history: rows already imported are skipped, so a long history is sent in batches and a failed ' +
          'batch sent again.',
      }),
      importUrl: t.string(),
      templateUrl: t.string({ description: 'The .xlsx template with example rows (…/<name>.csv for CSV).' }),
      columns: t.field({ type: [ImportColumnInfo] }),
    }),
  });

  builder.queryFields((t) => ({
    importKinds: t.field({
      type: [ImportKindInfo],
      description: 'Every kind of import file this deployment reads, core and plugins, in the order to import them.',
      authScopes: { signedIn: true },
      resolve: (_root, _args, ctx) =>
        ctx.app.importKinds.map((k) => ({
          name: k.name,
          title: k.title[ctx.locale],
          permission: k.permission,
          resumable: k.resumable ?? false,
          importUrl: `/imports/${k.name}`,
          templateUrl: `/imports/templates/${k.name}.xlsx`,
          columns: k.columns.map((c) => ({
            header: c[ctx.locale],
            otherNames: [ctx.locale === 'en' ? c['zh-CN'] : c.en, ...(c.synonyms ?? [])],
            required: c.required ?? false,
            description: c.hint[ctx.locale],
            example: exampleCell(c.examples.find((e) => e)),
          })),
        })),
    }),
    imports: t.prismaConnection({
      type: DataImportRef,
      cursor: 'id',
      description: 'Every import of a file, newest first, optionally of one kind (owners and managers).',
      authScopes: { permission: 'customer:import' },
      args: { kind: t.arg.string() },
      totalCount: (_root, args, ctx) => ctx.db.dataImport.count({ where: args.kind ? { kind: args.kind } : {} }),
      resolve: (query, _root, args, ctx) =>
        ctx.db.dataImport.findMany({ ...query, where: args.kind ? { kind: args.kind } : {}, orderBy: { id: 'desc' } }),
    }),
    customerImports: t.prismaConnection({
      type: CustomerImportRef,
      cursor: 'id',
      description:
        'Customer imports, newest first (owners and managers). `imports(kind: "customers")` is the same list.',
      authScopes: { permission: 'customer:import' },
      totalCount: (_root, _args, ctx) => ctx.db.dataImport.count({ where: { kind: 'customers' } }),
      resolve: (query, _root, _args, ctx) =>
        ctx.db.dataImport.findMany({ ...query, where: { kind: 'customers' }, orderBy: { id: 'desc' } }),
    }),
  }));
}
