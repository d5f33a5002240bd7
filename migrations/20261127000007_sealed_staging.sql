-- The population record staged between verification and enrichment is sealed too.
-- Plaintext rows from before (development data only) are removed, not kept in clear.
DELETE FROM citizen_record_staging;
ALTER TABLE citizen_record_staging DROP COLUMN record;
ALTER TABLE citizen_record_staging ADD COLUMN key_id text NOT NULL;
ALTER TABLE citizen_record_staging ADD COLUMN sealed bytea NOT NULL;
