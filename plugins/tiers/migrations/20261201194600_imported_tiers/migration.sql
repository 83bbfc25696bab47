-- Tiers brought from a previous system with the date they were reached.
ALTER TYPE "TierChangeReason" ADD VALUE 'IMPORTED';
