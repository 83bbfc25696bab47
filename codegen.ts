import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed operations for the examples (and a template for clients): `npm run codegen`.
// Reads the published SDL, so it needs no running server.
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: 'examples/operations/*.graphql',
  generates: {
    'examples/generated/operations.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { Money: 'string', Date: 'string', DateTime: 'string', ID: 'string' },
      },
    },
  },
};

export default config;
