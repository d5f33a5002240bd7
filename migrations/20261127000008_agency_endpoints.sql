-- How each agency receives dossiers and authenticates: a webhook (URL + HMAC secret)
-- and/or a pull-API token (SHA-256 digest only; the token is shown once when issued).
CREATE TABLE agency_endpoint (
    agency_id        text PRIMARY KEY,
    webhook_url      text,
    webhook_secret   text,
    token_sha256     text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
