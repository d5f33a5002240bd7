-- Every disclosure of sealed citizen data to an agency is logged (Law 91/2025 processing
-- log): who, when, which dossiers and which field names — never values. Append-only.
CREATE TABLE data_access_log (
    seq          bigserial   PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    agency_id    text        NOT NULL,
    channel      text        NOT NULL,
    dossier_ids  uuid[]      NOT NULL,
    field_names  text[]      NOT NULL
);

CREATE FUNCTION data_access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'data_access_log is append-only';
END;
$$;

CREATE TRIGGER data_access_log_no_change BEFORE UPDATE OR DELETE ON data_access_log
    FOR EACH ROW EXECUTE FUNCTION data_access_log_append_only();
