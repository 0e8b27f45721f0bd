#include "policy.h"

#include <limits.h>
#include <stddef.h>

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void ticket_policy_config_defaults(struct ticket_policy_config *cfg)
{
	cfg->max_failures = TICKET_POLICY_DEFAULT_MAX_FAILURES;
	cfg->failure_delay_ms = TICKET_POLICY_DEFAULT_FAILURE_DELAY_MS;
	cfg->expire_ms = TICKET_POLICY_DEFAULT_EXPIRE_MS;
}

void ticket_policy_init(struct ticket_policy *p, const struct ticket_policy_config *cfg,
			uint64_t now_ms)
{
	p->cfg = *cfg;
	/* A budget of zero failures would make every typo fatal and is surely a config slip. */
	if (p->cfg.max_failures == 0) {
		p->cfg.max_failures = 1;
	}
	p->state = TICKET_STATE_ACTIVE;
	p->failures = 0;
	p->idle_since_ms = now_ms;
}

uint64_t ticket_policy_expiry_deadline(const struct ticket_policy *p)
{
	if (p->state != TICKET_STATE_ACTIVE || p->cfg.expire_ms == 0) {
		return TICKET_POLICY_NEVER;
	}
	return add_saturating(p->idle_since_ms, p->cfg.expire_ms);
}

enum ticket_state ticket_policy_state(struct ticket_policy *p, uint64_t now_ms)
{
	uint64_t deadline = ticket_policy_expiry_deadline(p);

	if (deadline != TICKET_POLICY_NEVER && now_ms >= deadline) {
		p->state = TICKET_STATE_EXPIRED;
	}
	return p->state;
}

bool ticket_policy_may_attempt(struct ticket_policy *p, uint64_t now_ms)
{
	return ticket_policy_state(p, now_ms) == TICKET_STATE_ACTIVE;
}

uint64_t ticket_policy_failure(struct ticket_policy *p, uint64_t attempt_start_ms, uint64_t now_ms)
{
	enum ticket_state s = ticket_policy_state(p, now_ms);

	if (p->failures < UINT_MAX) {
		p->failures++;
	}
	if ((s == TICKET_STATE_ACTIVE || s == TICKET_STATE_IN_USE) &&
	    p->failures >= p->cfg.max_failures) {
		p->state = TICKET_STATE_REVOKED;
	}
	return add_saturating(attempt_start_ms, p->cfg.failure_delay_ms);
}

unsigned ticket_policy_failures(const struct ticket_policy *p)
{
	return p->failures;
}

unsigned ticket_policy_remaining(const struct ticket_policy *p)
{
	return p->failures >= p->cfg.max_failures ? 0 : p->cfg.max_failures - p->failures;
}

void ticket_policy_connected(struct ticket_policy *p, uint64_t now_ms)
{
	if (ticket_policy_state(p, now_ms) == TICKET_STATE_ACTIVE) {
		p->state = TICKET_STATE_IN_USE;
	}
}

void ticket_policy_disconnected(struct ticket_policy *p, uint64_t now_ms)
{
	if (p->state == TICKET_STATE_IN_USE) {
		p->state = TICKET_STATE_ACTIVE;
		p->idle_since_ms = now_ms;
	}
}

void ticket_policy_end(struct ticket_policy *p)
{
	p->state = TICKET_STATE_ENDED;
}

const char *ticket_state_name(enum ticket_state s)
{
	switch (s) {
	case TICKET_STATE_ACTIVE:
		return "active";
	case TICKET_STATE_IN_USE:
		return "in-use";
	case TICKET_STATE_REVOKED:
		return "revoked";
	case TICKET_STATE_EXPIRED:
		return "expired";
	case TICKET_STATE_ENDED:
		return "ended";
	}
	return "unknown";
}
