-- Stage-specific state: lookups, enrichment, dossier codes, notifications.

-- Lookup audit: who looked up whom, for which purpose, which fields, which outcome.
-- Names of fields only, never values (Law 91/2025 processing log).
CREATE TABLE csdlqg_lookup (
    request_id      text        PRIMARY KEY,  -- MaYeuCau
    dossier_id      uuid        NOT NULL REFERENCES dossier (id),
    procedure_code  text        NOT NULL,
    officer         text        NOT NULL,
    agency          text        NOT NULL,
    purpose         text        NOT NULL,
    fields_requested text[]     NOT NULL,
    outcome         text        NOT NULL,
    looked_up_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX csdlqg_lookup_dossier_idx ON csdlqg_lookup (dossier_id);

-- The population record as returned, kept only between verification and enrichment;
-- the enrich stage deletes it once the procedure's fields are extracted.
CREATE TABLE citizen_record_staging (
    dossier_id  uuid        PRIMARY KEY REFERENCES dossier (id),
    record      jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Citizen data kept for the dossier: only the fields its procedure declares.
CREATE TABLE dossier_citizen_data (
    dossier_id  uuid        PRIMARY KEY REFERENCES dossier (id),
    fields      jsonb       NOT NULL,
    enriched_at timestamptz NOT NULL DEFAULT now()
);

-- One counter row per agency and day: dossier codes without an in-process lock.
CREATE TABLE dossier_code_counter (
    agency_id  text    NOT NULL,
    day        date    NOT NULL,
    last_seq   integer NOT NULL,
    PRIMARY KEY (agency_id, day)
);

-- One notification per dossier, status change and channel: the unique key is what
-- makes the effect exactly-once under redelivery.
CREATE TABLE notification (
    id               uuid        PRIMARY KEY,
    dossier_id       uuid        NOT NULL REFERENCES dossier (id),
    status_event_id  uuid        NOT NULL,
    channel          text        NOT NULL,
    status_code      smallint    NOT NULL,
    template         text        NOT NULL,
    state            text        NOT NULL DEFAULT 'queued',
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dossier_id, status_event_id, channel)
);
