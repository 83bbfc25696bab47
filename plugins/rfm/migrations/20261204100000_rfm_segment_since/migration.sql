-- Moves between layers: each score keeps the layer it had before its last change and since when
-- it is in the current one, so a move (e.g. into 重要挽留客户) is seen once, whatever the number of
-- runs that keep the customer there (the automation plugin's RFM_SEGMENT_MOVED trigger).
ALTER TABLE "RfmScore" ADD COLUMN "previousSegment" "RfmSegment";
ALTER TABLE "RfmScore" ADD COLUMN "segmentSince" TIMESTAMP(3);
UPDATE "RfmScore" SET "segmentSince" = "computedAt";
ALTER TABLE "RfmScore" ALTER COLUMN "segmentSince" SET NOT NULL;
