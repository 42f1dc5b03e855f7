-- pdns-refresher: the optional table of each SLAVE zone's refresh status,
-- for control panels ("why is my zone stale?") in one SELECT:
--
--   SELECT d.name, s.* FROM domains d
--     LEFT JOIN refresher_zone_status s ON s.domain_id = d.id
--    WHERE d.name = 'example.com';
--
-- Load it into PowerDNS's database once (the daemon runs without it and
-- says so at start; it notices the table at the next SIGHUP or rescan):
--
--   mysql pdns < /usr/share/pdns-refresher/sql/pdns-refresher.sql
--
-- The daemon writes a zone's row in batches, from its database thread,
-- when the zone's state changes or a check of it fails, never for a check
-- that changed nothing; it deletes the rows of domains that are no longer
-- SLAVE domains.  At start it reads the rows back, so a zone that was
-- failing keeps its backoff across a restart instead of hammering its
-- master.  Times are Unix seconds; NULL: never or none.
--
-- state: ok            the last check succeeded
--        failing       the last check failed; the stored data is served
--        expired       no good check for longer than the zone's SOA EXPIRE
--                      (PowerDNS keeps serving the old data)
--        never-loaded  no data yet
CREATE TABLE IF NOT EXISTS refresher_zone_status (
  domain_id           INT NOT NULL,
  state               VARCHAR(16) NOT NULL,
  last_check          INT UNSIGNED DEFAULT NULL,
  last_success        INT UNSIGNED DEFAULT NULL,
  last_error          VARCHAR(255) DEFAULT NULL,
  last_error_master   VARCHAR(64) DEFAULT NULL,
  last_error_time     INT UNSIGNED DEFAULT NULL,
  failures            INT UNSIGNED NOT NULL DEFAULT 0,
  next_check          INT UNSIGNED DEFAULT NULL,
  PRIMARY KEY (domain_id),
  KEY refresher_zone_status_state (state)
) Engine=InnoDB CHARACTER SET 'latin1';
