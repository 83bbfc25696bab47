-- Two more kinds of trigger: a move into an RFM layer (the rfm plugin), and 会员日 (a member day
-- on a weekday or a day of the month, announced up to `days` ahead).
ALTER TYPE "AutomationTriggerKind" ADD VALUE 'RFM_SEGMENT_MOVED';
ALTER TYPE "AutomationTriggerKind" ADD VALUE 'MEMBER_DAY';
-- The layer moved into (an RfmSegment value; text, so the table does not need the rfm plugin's type).
ALTER TABLE "AutomationTrigger" ADD COLUMN "rfmSegment" TEXT;
-- The member day: 1 (Monday) … 7 (Sunday), or 1 … 31 (a month without that day has it on its last).
ALTER TABLE "AutomationTrigger" ADD COLUMN "memberWeekday" INTEGER;
ALTER TABLE "AutomationTrigger" ADD COLUMN "memberMonthDay" INTEGER;
