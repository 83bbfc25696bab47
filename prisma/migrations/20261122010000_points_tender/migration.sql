-- Loyalty points as a tender, settled by a plugin that accepts it.
ALTER TYPE "PaymentMethod" ADD VALUE 'POINTS' BEFORE 'OTHER';
