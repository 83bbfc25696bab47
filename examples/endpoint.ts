// Where the examples find the API: ENDPOINT, else what `npm start` listens on by default.
//
//   ENDPOINT=http://127.0.0.1:4100/graphql npx tsx examples/pos-client.ts
export const ENDPOINT = process.env.ENDPOINT ?? 'http://localhost:4000/graphql';

/**
 * Runs an example's main part; when the API cannot be reached, says so in one line instead of a
 * stack trace (fetch reports a refused connection as a TypeError whose cause has the code).
 */
export async function main(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (
      error instanceof TypeError &&
      cause?.code &&
      /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET)$/.test(cause.code)
    ) {
      console.error(
        `Cannot reach the API at ${ENDPOINT} (${cause.code}): start it with \`npm start\`, or set ` +
          'ENDPOINT=http://<host>:<port>/graphql',
      );
      process.exit(1);
    }
    throw error;
  }
}
