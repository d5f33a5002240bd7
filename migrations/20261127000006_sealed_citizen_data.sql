-- Citizen data kept for a dossier is sealed (AES-256-GCM, dossier id as associated
-- data) with the key named in key_id, so keys can rotate. No plaintext copy remains:
-- rows written before sealing existed (development data; no release stored them) are
-- removed rather than kept in clear.
DELETE FROM dossier_citizen_data;
ALTER TABLE dossier_citizen_data DROP COLUMN fields;
ALTER TABLE dossier_citizen_data ADD COLUMN key_id text NOT NULL;
ALTER TABLE dossier_citizen_data ADD COLUMN sealed bytea NOT NULL;
ALTER TABLE dossier_citizen_data ADD COLUMN field_names text[] NOT NULL DEFAULT '{}';
