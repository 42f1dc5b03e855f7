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

-- Two name servers, one writer (ha { node = "..." } in the configuration):
-- daemons on both nodes share one lease, taken and renewed with
-- compare-and-set UPDATEs on the database's clock; only its holder sends
-- SOA queries and transfers and writes.  Every write transaction of the
-- holder updates its connection's refresher_fence row bound to the epoch
-- it holds, before COMMIT, and rolls back unless exactly that row changed:
-- a new holder moves every fence row to its new epoch in the transaction
-- that takes the lease, so a holder that was paused past its lease cannot
-- commit a single row afterwards (InnoDB's row locks order the two on one
-- primary; on Galera the later of two conflicting commits fails
-- certification).
CREATE TABLE IF NOT EXISTS refresher_lease (
  id                  TINYINT UNSIGNED NOT NULL,           -- 1: the one lease
  holder              VARCHAR(64) NOT NULL DEFAULT '',     -- ha.node, '': free
  address             VARCHAR(255) NOT NULL DEFAULT '',    -- host and pid, for people
  epoch               BIGINT UNSIGNED NOT NULL DEFAULT 0,  -- one more at each new holder
  renewed             DATETIME(3) DEFAULT NULL,            -- the database's clock
  expires             DATETIME(3) DEFAULT NULL,
  PRIMARY KEY (id)
) Engine=InnoDB CHARACTER SET 'latin1';
INSERT IGNORE INTO refresher_lease (id) VALUES (1);

CREATE TABLE IF NOT EXISTS refresher_fence (
  slot                SMALLINT UNSIGNED NOT NULL,          -- one per writing connection
  epoch               BIGINT UNSIGNED NOT NULL,            -- the holder's when it took the lease
  writes              BIGINT UNSIGNED NOT NULL DEFAULT 0,  -- transactions committed through it
  PRIMARY KEY (slot)
) Engine=InnoDB CHARACTER SET 'latin1';
