-- The ticketing plugin (客户服务): tickets with their timeline, the SLA table, service hours per
-- store and weekday, and satisfaction surveys. Types, statuses and channels are checked here and
-- in the plugin (plugins/ticketing/workflow.ts), so a new value needs a migration of its own.

CREATE TABLE "TicketSla" (
    "type" TEXT NOT NULL,
    "priority" TEXT NOT NULL,
    "resolveMinutes" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TicketSla_pkey" PRIMARY KEY ("type", "priority"),
    CONSTRAINT "TicketSla_minutes_check" CHECK ("resolveMinutes" > 0 AND "resolveMinutes" <= 525600)
);

-- Business minutes to resolve, by type and priority (data: setTicketSla changes them).
INSERT INTO "TicketSla" ("type", "priority", "resolveMinutes") VALUES
    ('COMPLAINT', 'URGENT', 120), ('COMPLAINT', 'HIGH', 240), ('COMPLAINT', 'NORMAL', 480), ('COMPLAINT', 'LOW', 960),
    ('INQUIRY', 'URGENT', 60), ('INQUIRY', 'HIGH', 120), ('INQUIRY', 'NORMAL', 480), ('INQUIRY', 'LOW', 960),
    ('AFTER_SALES', 'URGENT', 240), ('AFTER_SALES', 'HIGH', 480), ('AFTER_SALES', 'NORMAL', 1440),
    ('AFTER_SALES', 'LOW', 2880),
    ('RETURN_REQUEST', 'URGENT', 120), ('RETURN_REQUEST', 'HIGH', 240), ('RETURN_REQUEST', 'NORMAL', 480),
    ('RETURN_REQUEST', 'LOW', 960),
    ('FEEDBACK', 'URGENT', 480), ('FEEDBACK', 'HIGH', 960), ('FEEDBACK', 'NORMAL', 2880), ('FEEDBACK', 'LOW', 4800);

-- The hours a store's service desk counts as business time, per ISO weekday (1 = Monday). A store
-- without rows counts core's opening hours (Store.calendar) every day it opens.
CREATE TABLE "TicketServiceHours" (
    "storeId" UUID NOT NULL,
    "weekday" INTEGER NOT NULL,
    "opensAt" INTEGER NOT NULL,
    "closesAt" INTEGER NOT NULL,

    CONSTRAINT "TicketServiceHours_pkey" PRIMARY KEY ("storeId", "weekday"),
    CONSTRAINT "TicketServiceHours_weekday_check" CHECK ("weekday" BETWEEN 1 AND 7),
    CONSTRAINT "TicketServiceHours_hours_check" CHECK ("opensAt" >= 0 AND "closesAt" <= 1440 AND "opensAt" < "closesAt")
);

ALTER TABLE "TicketServiceHours" ADD CONSTRAINT "TicketServiceHours_storeId_fkey"
    FOREIGN KEY ("storeId") REFERENCES "Store"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE SEQUENCE "Ticket_number_seq";

CREATE TABLE "Ticket" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "number" BIGINT NOT NULL DEFAULT nextval('"Ticket_number_seq"'),
    "type" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'OPEN',
    "priority" TEXT NOT NULL DEFAULT 'NORMAL',
    "customerId" UUID NOT NULL,
    "storeId" UUID NOT NULL,
    "saleId" UUID,
    "saleLineNos" INTEGER[] NOT NULL DEFAULT ARRAY[]::INTEGER[],
    "subject" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "assigneeId" UUID,
    "createdById" UUID,
    "dueAt" TIMESTAMP(3),
    "firstResponseAt" TIMESTAMP(3),
    "resolvedAt" TIMESTAMP(3),
    "closedAt" TIMESTAMP(3),
    "reopenCount" INTEGER NOT NULL DEFAULT 0,
    "breachedAt" TIMESTAMP(3),
    "escalatedToId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Ticket_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Ticket_type_check"
        CHECK ("type" IN ('COMPLAINT', 'INQUIRY', 'AFTER_SALES', 'RETURN_REQUEST', 'FEEDBACK')),
    CONSTRAINT "Ticket_status_check"
        CHECK ("status" IN ('OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED')),
    CONSTRAINT "Ticket_priority_check" CHECK ("priority" IN ('LOW', 'NORMAL', 'HIGH', 'URGENT'))
);

CREATE UNIQUE INDEX "Ticket_number_key" ON "Ticket"("number");
CREATE INDEX "Ticket_storeId_status_idx" ON "Ticket"("storeId", "status");
CREATE INDEX "Ticket_customerId_idx" ON "Ticket"("customerId");
CREATE INDEX "Ticket_assigneeId_idx" ON "Ticket"("assigneeId");
-- What the breach job looks at: open tickets with a due time not yet breached.
CREATE INDEX "Ticket_due_idx" ON "Ticket"("dueAt")
    WHERE "breachedAt" IS NULL AND "status" NOT IN ('RESOLVED', 'CLOSED');

ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_customerId_fkey"
    FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_storeId_fkey"
    FOREIGN KEY ("storeId") REFERENCES "Store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_saleId_fkey"
    FOREIGN KEY ("saleId") REFERENCES "Sale"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_assigneeId_fkey"
    FOREIGN KEY ("assigneeId") REFERENCES "Staff"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_createdById_fkey"
    FOREIGN KEY ("createdById") REFERENCES "Staff"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_escalatedToId_fkey"
    FOREIGN KEY ("escalatedToId") REFERENCES "Staff"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- The timeline: one row per comment, internal note, status change, assignment and escalation, in
-- the order written ("seq"). Attachments are references (URL and sha256), never files.
CREATE TABLE "TicketEntry" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "seq" BIGSERIAL NOT NULL,
    "ticketId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "internal" BOOLEAN NOT NULL DEFAULT false,
    "authorId" UUID,
    "body" TEXT NOT NULL DEFAULT '',
    "fromStatus" TEXT,
    "toStatus" TEXT,
    "assigneeId" UUID,
    "attachments" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TicketEntry_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "TicketEntry_kind_check"
        CHECK ("kind" IN ('CREATED', 'COMMENT', 'INTERNAL_NOTE', 'STATUS_CHANGE', 'ASSIGNMENT', 'ESCALATION')),
    -- An internal note is internal, whatever the caller asked.
    CONSTRAINT "TicketEntry_internal_check" CHECK ("kind" <> 'INTERNAL_NOTE' OR "internal")
);

CREATE UNIQUE INDEX "TicketEntry_seq_key" ON "TicketEntry"("seq");
CREATE INDEX "TicketEntry_ticketId_seq_idx" ON "TicketEntry"("ticketId", "seq");

ALTER TABLE "TicketEntry" ADD CONSTRAINT "TicketEntry_ticketId_fkey"
    FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "TicketEntry" ADD CONSTRAINT "TicketEntry_authorId_fkey"
    FOREIGN KEY ("authorId") REFERENCES "Staff"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "TicketEntry" ADD CONSTRAINT "TicketEntry_assigneeId_fkey"
    FOREIGN KEY ("assigneeId") REFERENCES "Staff"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- A satisfaction survey, issued when a ticket is resolved. Only the sha256 of the token's secret
-- is kept: the token itself is shown once, to the staff who send it to the customer.
CREATE TABLE "TicketSurvey" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "ticketId" UUID NOT NULL,
    "secretHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "answeredAt" TIMESTAMP(3),
    "score" INTEGER,
    "comment" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TicketSurvey_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "TicketSurvey_score_check" CHECK ("score" IS NULL OR "score" BETWEEN 1 AND 5),
    CONSTRAINT "TicketSurvey_answer_check" CHECK (("answeredAt" IS NULL) = ("score" IS NULL))
);

CREATE INDEX "TicketSurvey_ticketId_idx" ON "TicketSurvey"("ticketId");

ALTER TABLE "TicketSurvey" ADD CONSTRAINT "TicketSurvey_ticketId_fkey"
    FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;
