-- Events that carry personal data (dossier.submitted.v1) wait in the outbox sealed with
-- AES-256-GCM under a data key (`key_id`; the row id is the associated data); `payload`
-- then only says {"sealed": true}. The relay opens them just before publishing.
ALTER TABLE outbox ADD COLUMN key_id text, ADD COLUMN sealed bytea;
