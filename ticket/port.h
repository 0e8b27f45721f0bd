#pragma once

/* Choice of the random listening port for a Remote Connection. */

#include <stdbool.h>
#include <stdint.h>

#include "ticket.h"

#define TICKET_PORT_DEFAULT_RANGE "49152-65535"
#define TICKET_PORT_DEFAULT_LO    49152
#define TICKET_PORT_DEFAULT_HI    65535

typedef bool (*ticket_port_free_fn)(uint16_t port, void *userdata);

/*
 * The real check: a TCP socket can bind 0.0.0.0:port AND [::]:port (IPV6_V6ONLY), with
 * SO_REUSEADDR as a listening server sets it. An IPv6-less host (EAFNOSUPPORT, or
 * EADDRNOTAVAIL on [::]) counts as free for v6. userdata is unused.
 */
bool ticket_port_is_free(uint16_t port, void *userdata);

/*
 * Pick a uniformly random port in [lo, hi] (no modulo bias) that is_free() accepts. Tries a few
 * random picks, then scans the range from a random start so a nearly-full range still succeeds.
 * 0 and *ret_port; -EADDRINUSE when no port is free; -EINVAL when lo > hi or lo == 0; the error
 * of rnd; -EIO when rnd keeps giving values that must be rejected.
 */
int ticket_port_pick(uint16_t lo, uint16_t hi, ticket_random_fn rnd, void *rnd_ud,
		     ticket_port_free_fn is_free, void *free_ud, uint16_t *ret_port);

/*
 * "49152-65535" (a range) or "5000" (fixed: lo == hi). Decimal digits only; -EINVAL on anything
 * else (empty, garbage, 0, > 65535, lo > hi, signs, spaces anywhere, trailing junk).
 */
int ticket_port_range_parse(const char *s, uint16_t *ret_lo, uint16_t *ret_hi);
