-- Fail-soft visibility: a dossier held back because CSDLQG is unavailable says so.
ALTER TABLE dossier ADD COLUMN waiting_reason text;
ALTER TABLE dossier ADD COLUMN waiting_since timestamptz;

-- The per-dossier lookup summary is superseded by the per-attempt, hash-chained
-- lookup_audit table.
DROP TABLE csdlqg_lookup;
