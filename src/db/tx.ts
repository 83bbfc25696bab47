/** The database handles domain functions take: the client, and a client bound to a transaction. */
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';

export type Db = PrismaClient;
/** What domain functions take: a client bound to the caller's transaction. */
export type Tx = Prisma.TransactionClient;
