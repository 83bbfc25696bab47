-- Two more kinds of trigger: a move into an RFM layer (the rfm plugin), and 会员日 (each home
-- store's own member days, from its calendar: setStoreCalendar), announced up to `days` ahead.
ALTER TYPE "AutomationTriggerKind" ADD VALUE 'RFM_SEGMENT_MOVED';
ALTER TYPE "AutomationTriggerKind" ADD VALUE 'MEMBER_DAY';
-- The layer moved into (an RfmSegment value; text, so the table does not need the rfm plugin's type).
ALTER TABLE "AutomationTrigger" ADD COLUMN "rfmSegment" TEXT;
