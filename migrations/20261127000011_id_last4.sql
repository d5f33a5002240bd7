-- Citizen lookup by dossier code needs an ownership proof: the contact phone or the
-- last 4 digits of the applicant's ID (the masked ID keeps only the last 2).
ALTER TABLE dossier ADD COLUMN applicant_id_last4 text;

-- Status changes reported by agencies through the pull API: who changed what and when,
-- and the Idempotency-Key that makes a retried update return the first result. The
-- status event itself is in dossier_event (written with the outbox row).
CREATE TABLE status_change (
    id                  bigserial   PRIMARY KEY,
    dossier_id          uuid        NOT NULL REFERENCES dossier (id),
    agency_id           text        NOT NULL,
    idempotency_key     text,
    from_status         smallint    NOT NULL,
    to_status           smallint    NOT NULL,
    reason              text,
    officer             text        NOT NULL,
    supplement_deadline date,
    event_id            uuid        NOT NULL,
    response            jsonb       NOT NULL,
    changed_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agency_id, idempotency_key)
);
CREATE INDEX status_change_dossier_idx ON status_change (dossier_id, id);
