-- Processing log of CSDLQG lookups (Law 91/2025): one append-only, hash-chained row per
-- lookup attempt, written by the `dossierflow-audit` crate. No plaintext personal data:
-- the citizen's ID is kept only masked (first 4 + last 2 digits) and as a keyed HMAC
-- (search "every lookup of this citizen" without storing the ID); fields are names only.
--
-- Integrity has two layers:
-- 1. the triggers below refuse UPDATE, DELETE and TRUNCATE for every role, including the
--    table owner. A superuser (or the owner) can still `ALTER TABLE ... DISABLE TRIGGER`
--    or drop them, which is why
-- 2. every row carries `row_hash` = SHA-256 over a canonical serialisation of all its
--    other columns plus `prev_hash`, the previous row's `row_hash` (64 zeros for the first
--    row). Changing, inserting or deleting a row in the middle breaks the chain, and
--    `dossierflow_audit::verify_chain` reports the first broken `seq`. Removing rows at
--    the end is only detectable against a head hash kept elsewhere.
--
-- Appends are serialised by a transaction-level advisory lock so the chain stays linear;
-- `seq` is taken under that lock, so seq order is chain order (rollbacks leave gaps).
-- The application role needs only INSERT and SELECT on this table and USAGE on its
-- sequence.
CREATE TABLE lookup_audit (
    seq               bigserial   PRIMARY KEY,
    at                timestamptz NOT NULL,
    actor             text        NOT NULL CHECK (actor <> ''),        -- officer code or 'citizen-self'
    unit              text        NOT NULL CHECK (unit <> ''),         -- agency e-identifier (MaDonVi)
    purpose_dossier   uuid,                                            -- NULL for portal sync lookups
    purpose_procedure text        NOT NULL CHECK (purpose_procedure <> ''),
    channel           text        NOT NULL CHECK (channel IN ('pipeline', 'portal_sync')),
    request_id        text        NOT NULL CHECK (request_id <> ''),   -- MaYeuCau
    attempt           integer     NOT NULL CHECK (attempt >= 1),
    id_masked         text        NOT NULL CHECK (id_masked ~ '^[0-9]{4}\*+[0-9]{2}$'),
    id_hmac           text        NOT NULL CHECK (id_hmac ~ '^[0-9a-f]{64}$'),
    fields_requested  text[]      NOT NULL,
    fields_returned   text[]      NOT NULL,
    outcome           text        NOT NULL CHECK (outcome ~ '^[a-z][a-z0-9_]*$'),
    latency_ms        integer     NOT NULL CHECK (latency_ms >= 0),
    prev_hash         text        NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    row_hash          text        NOT NULL UNIQUE CHECK (row_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX lookup_audit_id_hmac_idx ON lookup_audit (id_hmac, seq);
CREATE INDEX lookup_audit_dossier_idx ON lookup_audit (purpose_dossier, seq)
    WHERE purpose_dossier IS NOT NULL;

CREATE FUNCTION lookup_audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'lookup_audit is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'the processing log may only be appended to';
END;
$$;

CREATE TRIGGER lookup_audit_no_update_delete
    BEFORE UPDATE OR DELETE ON lookup_audit
    FOR EACH ROW EXECUTE FUNCTION lookup_audit_refuse_change();

CREATE TRIGGER lookup_audit_no_truncate
    BEFORE TRUNCATE ON lookup_audit
    FOR EACH STATEMENT EXECUTE FUNCTION lookup_audit_refuse_change();
