-- Storefront access (src/storefront/): customers act on their own account with a token, and the
-- audit log names them; integrators register the operations a storefront may send.
ALTER TYPE "AuditActorKind" ADD VALUE 'CUSTOMER';

CREATE TABLE "PersistedOperation" (
    "id" TEXT NOT NULL,
    "document" TEXT NOT NULL,
    "name" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdById" UUID,

    CONSTRAINT "PersistedOperation_pkey" PRIMARY KEY ("id")
);
