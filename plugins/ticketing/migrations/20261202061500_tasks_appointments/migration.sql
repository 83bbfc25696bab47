-- Follow-up tasks (客户跟进) for staff, rules that create them after a sale, and service
-- appointments. Overlapping appointments of one staff member or one resource are refused by the
-- plugin under a transaction-scoped advisory lock per staff member and per resource
-- (plugins/ticketing/appointments.ts): an exclusion constraint would need btree_gist, which the
-- embedded database does not carry.

CREATE TABLE "FollowUpRule" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "kind" TEXT NOT NULL DEFAULT 'AFTER_SALES_CHECK',
    "category" TEXT NOT NULL,
    "daysAfter" INTEGER NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FollowUpRule_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "FollowUpRule_kind_check" CHECK ("kind" IN ('AFTER_SALES_CHECK')),
    CONSTRAINT "FollowUpRule_days_check" CHECK ("daysAfter" BETWEEN 0 AND 366)
);

CREATE TABLE "FollowUpTask" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'OPEN',
    "customerId" UUID NOT NULL,
    "storeId" UUID NOT NULL,
    "assigneeId" UUID,
    "dueDate" DATE NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "ticketId" UUID,
    "saleId" UUID,
    "ruleId" UUID,
    "completedAt" TIMESTAMP(3),
    "completedById" UUID,
    "interactionId" UUID,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FollowUpTask_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "FollowUpTask_kind_check" CHECK ("kind" IN ('CALL_BACK', 'AFTER_SALES_CHECK', 'BIRTHDAY_CALL', 'OTHER')),
    CONSTRAINT "FollowUpTask_status_check" CHECK ("status" IN ('OPEN', 'DONE', 'CANCELLED'))
);

-- A rule creates one task per sale, however often the sale's steps run.
CREATE UNIQUE INDEX "FollowUpTask_ruleId_saleId_key" ON "FollowUpTask"("ruleId", "saleId");
CREATE INDEX "FollowUpTask_assigneeId_status_dueDate_idx" ON "FollowUpTask"("assigneeId", "status", "dueDate");
CREATE INDEX "FollowUpTask_storeId_status_dueDate_idx" ON "FollowUpTask"("storeId", "status", "dueDate");
CREATE INDEX "FollowUpTask_customerId_idx" ON "FollowUpTask"("customerId");

ALTER TABLE "FollowUpTask" ADD CONSTRAINT "FollowUpTask_customerId_fkey"
    FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "FollowUpTask" ADD CONSTRAINT "FollowUpTask_storeId_fkey"
    FOREIGN KEY ("storeId") REFERENCES "Store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "FollowUpTask" ADD CONSTRAINT "FollowUpTask_assigneeId_fkey"
    FOREIGN KEY ("assigneeId") REFERENCES "Staff"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "FollowUpTask" ADD CONSTRAINT "FollowUpTask_ticketId_fkey"
    FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "FollowUpTask" ADD CONSTRAINT "FollowUpTask_saleId_fkey"
    FOREIGN KEY ("saleId") REFERENCES "Sale"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "FollowUpTask" ADD CONSTRAINT "FollowUpTask_ruleId_fkey"
    FOREIGN KEY ("ruleId") REFERENCES "FollowUpRule"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "FollowUpTask" ADD CONSTRAINT "FollowUpTask_completedById_fkey"
    FOREIGN KEY ("completedById") REFERENCES "Staff"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "FollowUpTask" ADD CONSTRAINT "FollowUpTask_createdById_fkey"
    FOREIGN KEY ("createdById") REFERENCES "Staff"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "FollowUpTask" ADD CONSTRAINT "FollowUpTask_interactionId_fkey"
    FOREIGN KEY ("interactionId") REFERENCES "Interaction"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "ServiceAppointment" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "status" TEXT NOT NULL DEFAULT 'BOOKED',
    "customerId" UUID NOT NULL,
    "storeId" UUID NOT NULL,
    "staffId" UUID,
    "resource" TEXT,
    "startsAt" TIMESTAMP(3) NOT NULL,
    "endsAt" TIMESTAMP(3) NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "ticketId" UUID,
    "reminderSentAt" TIMESTAMP(3),
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ServiceAppointment_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ServiceAppointment_status_check" CHECK ("status" IN ('BOOKED', 'CANCELLED', 'DONE', 'NO_SHOW')),
    CONSTRAINT "ServiceAppointment_slot_check" CHECK ("endsAt" > "startsAt"),
    CONSTRAINT "ServiceAppointment_who_check" CHECK ("staffId" IS NOT NULL OR "resource" IS NOT NULL)
);

CREATE INDEX "ServiceAppointment_staffId_startsAt_idx" ON "ServiceAppointment"("staffId", "startsAt");
CREATE INDEX "ServiceAppointment_storeId_resource_startsAt_idx"
    ON "ServiceAppointment"("storeId", "resource", "startsAt");
CREATE INDEX "ServiceAppointment_reminder_idx" ON "ServiceAppointment"("startsAt")
    WHERE "reminderSentAt" IS NULL AND "status" = 'BOOKED';

ALTER TABLE "ServiceAppointment" ADD CONSTRAINT "ServiceAppointment_customerId_fkey"
    FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "ServiceAppointment" ADD CONSTRAINT "ServiceAppointment_storeId_fkey"
    FOREIGN KEY ("storeId") REFERENCES "Store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "ServiceAppointment" ADD CONSTRAINT "ServiceAppointment_staffId_fkey"
    FOREIGN KEY ("staffId") REFERENCES "Staff"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "ServiceAppointment" ADD CONSTRAINT "ServiceAppointment_ticketId_fkey"
    FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "ServiceAppointment" ADD CONSTRAINT "ServiceAppointment_createdById_fkey"
    FOREIGN KEY ("createdById") REFERENCES "Staff"("id") ON DELETE SET NULL ON UPDATE CASCADE;
