-- The verify and enrich stages' updates of a dossier become HOT (heap-only tuple: no new
-- index entries).
--
-- Both stages set `stage` (and verify its outcome columns). `dossier_stage_idx` was the
-- only index on any of those columns, so each of these updates wrote a new entry into
-- every index of the row (the primary key, the stage index and the three applicant-ID
-- indexes): ten entries per dossier. No query of the system reads dossiers by stage:
-- lookups are by id or by code, and the counts by stage (demo, bench) scan what they
-- count. An operator's ad-hoc count by stage reads the table.
--
-- Room on the page: a dossier is updated about three times in its first seconds
-- (verify, enrich, route), so pages are filled by inserts only to 70 %. The setting
-- applies to pages filled from now on.
DROP INDEX IF EXISTS dossier_stage_idx;
ALTER TABLE dossier SET (fillfactor = 70);
