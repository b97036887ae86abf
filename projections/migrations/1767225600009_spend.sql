-- Up Migration
-- Spend caps in money (domain/user/spend.ts): SMS held back by a spend cap (outcome 'spend_capped')
-- are counted per day, category and tier. Existing rows are 0: the outcome did not exist before.
ALTER TABLE daily_stats ADD COLUMN spend_capped integer NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE daily_stats DROP COLUMN spend_capped;
