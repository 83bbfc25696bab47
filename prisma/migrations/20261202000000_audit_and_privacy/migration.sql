-- Audit log (src/audit/): append-only, written in the transaction of the change it records.
CREATE TYPE "AuditActorKind" AS ENUM ('STAFF', 'API_KEY', 'SYSTEM');

CREATE TABLE "AuditEntry" (
    "id" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorKind" "AuditActorKind" NOT NULL,
    "actorId" UUID,
    "actorName" TEXT NOT NULL,
    "clientAddress" TEXT,
    "forwardedFor" TEXT,
    "requestId" TEXT,
    "operation" TEXT NOT NULL,
    "entityType" TEXT,
    "entityId" UUID,
    "storeId" UUID,
    "before" JSONB,
    "after" JSONB,
    "details" JSONB,

    CONSTRAINT "AuditEntry_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "AuditEntry_at_idx" ON "AuditEntry"("at");
CREATE INDEX "AuditEntry_entityId_at_idx" ON "AuditEntry"("entityId", "at");
CREATE INDEX "AuditEntry_actorId_at_idx" ON "AuditEntry"("actorId", "at");
CREATE INDEX "AuditEntry_operation_at_idx" ON "AuditEntry"("operation", "at");

-- Nothing in the API changes or removes an entry; the database refuses it too, for any client
-- short of one that drops the trigger (which needs the table's owner).
CREATE FUNCTION "audit_entry_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'AuditEntry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "AuditEntry_no_update_delete" BEFORE UPDATE OR DELETE ON "AuditEntry"
  FOR EACH ROW EXECUTE FUNCTION "audit_entry_append_only"();
CREATE TRIGGER "AuditEntry_no_truncate" BEFORE TRUNCATE ON "AuditEntry"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_entry_append_only"();

-- PIPL erasure (src/privacy/): when a customer's personal data was erased.
ALTER TABLE "Customer" ADD COLUMN "erasedAt" TIMESTAMP(3);

-- A POS key's own limit on price reductions (null: its role's).
ALTER TABLE "ApiKey" ADD COLUMN "maxDiscountPercent" INTEGER;
