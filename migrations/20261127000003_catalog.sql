-- The procedure and agency catalogue, loaded from the versioned data files by
-- `dossierflow catalog load` (the files stay the source of truth; these tables serve
-- queries, reports and the agency API).

CREATE TABLE catalog_unit (
    scheme  text NOT NULL CHECK (scheme IN ('legacy_63', 'current_34')),
    code    text NOT NULL,
    name    text NOT NULL,
    level   text NOT NULL,
    parent  text,
    PRIMARY KEY (scheme, code)
);

CREATE TABLE catalog_unit_mapping (
    legacy_code   text PRIMARY KEY,
    current_code  text NOT NULL
);

CREATE TABLE catalog_agency (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    level      text NOT NULL,
    parent     text,
    unit_code  text NOT NULL
);

CREATE TABLE catalog_procedure (
    code             text PRIMARY KEY,
    name             text NOT NULL,
    field            text NOT NULL,
    level            text NOT NULL,
    agencies         text[] NOT NULL,
    processing       jsonb NOT NULL,
    channel          text NOT NULL,
    csdlqg_fields    text[] NOT NULL,
    loaded_at        timestamptz NOT NULL DEFAULT now()
);
