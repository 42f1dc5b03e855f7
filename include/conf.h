/* conf: the configuration file (libconfuse) to a plain struct conf. */
#ifndef CONF_H
#define CONF_H

/* The control socket when control.socket is not set. */
#define CONTROL_SOCKET	"/run/pdns-refresher/control.sock"

#include <stdbool.h>
#include <stddef.h>

/* transfer.ixfr-udp: which checks of a zone we have are an IXFR over UDP */
enum { IXFR_UDP_OFF, IXFR_UDP_NOTIFY, IXFR_UDP_ALL };

struct conf {
	/* mysql {} : the contract's section */
	char	*db_host;
	int	 db_port;
	char	*db_socket;
	char	*db_user;
	char	*db_password;
	char	*db_name;

	int	 workers;		/* transfer worker threads */
	int	 dnssec;		/* mirror pdns gmysql-dnssec (reserved) */

	/* soa {} */
	int	 soa_qps;		/* SOA queries started per second, all masters */
	int	 soa_inflight;		/* SOA queries outstanding, all masters */
	int	 soa_timeout_ms;	/* wait for one UDP reply */
	int	 soa_tries;		/* UDP tries per master before the next one */

	/* master {} : per master address */
	int	 master_qps;
	int	 master_inflight;
	int	 master_xfrs;		/* concurrent transfers from one master */
	int	 master_down_s;		/* first pause after a master stops answering */
	int	 master_down_max_s;	/* cap of the doubling pause */

	/* transfer {} */
	int	 xfr_idle_s;		/* seconds without a byte from the master */
	int	 xfr_total_s;		/* seconds for a whole transfer */
	long	 xfr_max_records;
	long	 xfr_max_bytes;
	long	 xfr_max_mem;		/* bytes a conversion may use; 0: derived */
	int	 xfr_max_iterations;	/* NSEC3PARAM iterations refused above */
	int	 xfr_min_rate;		/* bytes/s on average after the grace; 0 off */
	int	 xfr_rate_grace_s;
	int	 follow_lower_s;	/* follow a lower serial stable this long; 0 never */
	bool	 ixfr;			/* ask IXFR first where we have a serial */
	int	 ixfr_udp;		/* ... as the check, over UDP: IXFR_UDP_* */
	char	**ixfr_off_masters;	/* ... but never from these */
	int	 n_ixfr_off_masters;
	char	**ixfr_off_zones;	/* ... nor for these zones */
	int	 n_ixfr_off_zones;

	/* timers {} : bounds on what a master's SOA asks for */
	int	 min_refresh, max_refresh;
	int	 min_retry, max_retry;
	int	 min_expire;
	int	 max_backoff;		/* cap on retry backoff, seconds */
	int	 orphaned_after;	/* every master refusing this long: orphaned */

	int	 domains_reload_s;	/* look for new domains (highest id) */
	int	 domains_rescan_s;	/* compare the whole list (signature) */
	int	 last_check_flush_ms;	/* batch last_check writes */

	/* notify {} */
	char	**notify_listen;	/* "ip:port" to take NOTIFYs on */
	int	 n_notify_listen;
	char	**notify_trusted;	/* addresses whose NOTIFYs count for any zone */
	int	 n_notify_trusted;
	int	 notify_rate;		/* NOTIFYs per second from one source */
	int	 notify_trusted_rate;	/* ... from one trusted source (pdns relays all) */
	char	**notify_from;		/* allow-notify-from: who may notify unsigned */
	int	 n_notify_from;
	char	**notify_proxies;	/* proxy-protocol-from: PROXY v2 senders (dnsdist) */
	int	 n_notify_proxies;
	bool	 autosecondary;		/* new zones from supermasters' NOTIFYs */
	bool	 allow_unsigned_ap;	/* ... unsigned ones too */
	int	 ap_inflight;		/* unknown-zone NOTIFYs checked at once, all */
	int	 ap_per_source;		/* ... from one address */

	/* pdns {} */
	char	*pdns_control;		/* pdns's control socket: purge after writes */
	/* metrics {} */
	char	**metrics_listen;	/* "ip:port" for Prometheus (none: off) */
	int	 n_metrics_listen;
	/* control {} */
	char	*control_socket;	/* ours: pdns-refresher-control ("" off) */

	/* ha {} */
	char	*ha_node;		/* this node's name; "" : no HA, works alone */
	int	 ha_lease_s;		/* the lease, on the database's clock */
	int	 ha_renew_s;		/* renew this often */
	int	 ha_stepdown_s;		/* no renew for this long (local clock): stop */

	/* log {} */
	int	 log_facility;
	int	 log_level;
};

/*
 * Parse path into a new struct conf.  Returns NULL on any error and writes
 * "file:line: message" lines into err.  The caller frees with conf_free.
 */
struct conf	*conf_load(const char *path, char *err, size_t errlen);
void		 conf_free(struct conf *);
/* True if the file can be read by users other than its owner and group. */
bool		 conf_world_readable(const char *path);

#endif
