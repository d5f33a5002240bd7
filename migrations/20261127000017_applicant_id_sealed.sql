-- The applicant's CCCD/CMND at rest (issue #8): sealed with AES-256-GCM under a data key
-- (`applicant_id_key_id`; the dossier id is the associated data, so a ciphertext copied
-- onto another row does not open) plus a blind index for lookups by ID:
-- `applicant_id_index` = hex(HMAC-SHA256(index key, ID digits)) under the index key named
-- in `applicant_id_index_key`, so index keys rotate like data keys.
-- Dossiers written before this migration (or by a stage other than intake) have NULLs
-- here and keep only the masked ID and its last 4 digits; the retention job also NULLs
-- the sealed ID once a final dossier passes its retention period (the index stays).
ALTER TABLE dossier
    ADD COLUMN applicant_id_sealed    bytea,
    ADD COLUMN applicant_id_key_id    text,
    ADD COLUMN applicant_id_index     text,
    ADD COLUMN applicant_id_index_key text,
    ADD COLUMN finished_at            timestamptz,
    ADD CONSTRAINT dossier_applicant_id_sealed_pair
        CHECK ((applicant_id_sealed IS NULL) = (applicant_id_key_id IS NULL)),
    ADD CONSTRAINT dossier_applicant_id_index_pair
        CHECK ((applicant_id_index IS NULL) = (applicant_id_index_key IS NULL));

CREATE INDEX dossier_applicant_id_index_idx ON dossier (applicant_id_index)
    WHERE applicant_id_index IS NOT NULL;
-- Rotation scans rows not yet under the active keys.
CREATE INDEX dossier_applicant_id_key_idx ON dossier (applicant_id_key_id)
    WHERE applicant_id_key_id IS NOT NULL;
CREATE INDEX dossier_applicant_id_index_key_idx ON dossier (applicant_id_index_key)
    WHERE applicant_id_index_key IS NOT NULL;

-- When the dossier reached a final status (3 refused, 7 withdrawn, 8 stopped,
-- 10 returned: `Status::is_final`), the start of its retention period. Kept by a trigger
-- so every writer of `status` (stages, agency API, replay) sets it without code changes.
CREATE FUNCTION dossier_track_finished_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN (3, 7, 8, 10) THEN
        NEW.finished_at := coalesce(NEW.finished_at, now());
    ELSE
        NEW.finished_at := NULL;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER dossier_finished_at BEFORE INSERT OR UPDATE OF status, finished_at ON dossier
    FOR EACH ROW EXECUTE FUNCTION dossier_track_finished_at();

-- Dossiers already final: their last status event, or their last update.
UPDATE dossier d SET finished_at = coalesce(
        (SELECT max(e.occurred_at) FROM dossier_event e
          WHERE e.dossier_id = d.id AND e.type = 'dossier.status.v1'),
        d.updated_at)
 WHERE d.status IN (3, 7, 8, 10);

CREATE INDEX dossier_finished_at_idx ON dossier (finished_at) WHERE finished_at IS NOT NULL;
