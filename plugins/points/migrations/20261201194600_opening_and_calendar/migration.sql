-- Balances brought from a previous system: spendable, never counted as earned.
ALTER TYPE "PointsEntryKind" ADD VALUE 'OPENING';

-- Rules that hold on festivals, statutory holidays or a store's 会员日 (src/calendar/).
ALTER TABLE "PointsRule" ADD COLUMN "festivals" TEXT[],
ADD COLUMN "festivalDaysBefore" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "festivalDaysAfter" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "statutoryHolidays" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN "memberDay" BOOLEAN NOT NULL DEFAULT false;
