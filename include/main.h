/* main: command line, start-up, signals, wiring, shutdown. */
#ifndef MAIN_H
#define MAIN_H

#define PDNS_REFRESHER_VERSION	"0.1.0"
#define DEFAULT_CONF		"/etc/pdns-refresher/pdns-refresher.conf"

#endif
