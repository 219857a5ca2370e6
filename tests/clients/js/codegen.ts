// GraphQL Code Generator, set up as a frontend would: TypeScript types for the schema and for the operations in
// operations/ (their results and variables). tests/clients/test_typed_client.py runs it into a folder of its own
// (CODEGEN_OUTPUT): schema.ts and operations.ts, which it compiles with typed/usage.ts under `tsc --noEmit`.
//
//   CODEGEN_OUTPUT=/tmp/typed npx graphql-codegen --config codegen.ts

import type { CodegenConfig } from "@graphql-codegen/cli";

const output = process.env.CODEGEN_OUTPUT;
if (!output) {
  throw new Error("CODEGEN_OUTPUT must name the folder to write schema.ts and operations.ts into");
}

// Both outputs map the custom scalars alike, and fail on one that is not mapped rather than make it `any`.
const scalars = {
  strictScalars: true,
  scalars: {
    UUID: "string",
    DateTime: "string",
    JSON: "unknown",
    Upload: "File",
  },
  useTypeImports: true,
};

const config: CodegenConfig = {
  schema: "../../../schema.graphql",
  documents: "operations/*.graphql",
  // Two files: typescript-operations 6 writes the enums an operation uses itself unless told where the schema's
  // types are, so both plugins in one file declare each enum twice (and tsc refuses the duplicates).
  generates: {
    // Every type of the schema (inputs such as SubjectCreate included), with its description as documentation.
    // Enums as the string literals the API sends ("ADULT"), which is how a frontend compares them.
    [`${output}/schema.ts`]: { plugins: ["typescript"], config: { ...scalars, enumsAsTypes: true } },
    // Each operation's variables and result, and each fragment, using the schema's types from schema.ts.
    [`${output}/operations.ts`]: {
      plugins: ["typescript-operations"],
      config: { ...scalars, importSchemaTypesFrom: `${output}/schema.ts` },
    },
  },
};

export default config;
