/* Helpers for Sigma tests: build events in memory, compile rules from
 * inline YAML, and state expectations the way the rules read. */
#ifndef EVTXHUNT_TEST_SIGMA_HELPERS_H
#define EVTXHUNT_TEST_SIGMA_HELPERS_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "evtxhunt/event.h"
#include "evtxhunt/sigma.h"
#include "evtxhunt/sigma_internal.h"

#define SYSMON "Microsoft-Windows-Sysmon"
#define SYSMON_CHANNEL "Microsoft-Windows-Sysmon/Operational"

/* The channel PROVIDER's events are in: log sources are keyed by it. */
static inline const char *channel_of(const char *provider)
{
	return strcmp(provider, SYSMON) == 0 ? SYSMON_CHANNEL
	       : strcmp(provider, "Microsoft-Windows-Security-Auditing") == 0 ? "Security"
								  : "Other/Operational";
}

/* An event of PROVIDER (in its channel) with NAME, VALUE pairs
 * (NULL-terminated). */
static inline void make_event(struct eh_event *ev, const char *provider, unsigned id, ...)
{
	va_list ap;
	eh_event_init(ev);
	eh_event_reset(ev);
	eh_event_set_system(ev, EH_SYS_PROVIDER, provider, strlen(provider));
	eh_event_set_system(ev, EH_SYS_CHANNEL, channel_of(provider), strlen(channel_of(provider)));
	va_start(ap, id);
	const char *name;
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);
		eh_event_add_field(ev, name, strlen(name), value, strlen(value));
	}
	va_end(ap);
	eh_event_finish(ev);
	ev->event_id = id;
}

/* Compiles YAML that must hold exactly one valid rule. */
static inline struct eh_ruleset *rules_from(const char *yaml)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	eh_ruleset_load_text(rs, "test.yml", yaml, strlen(yaml));
	if (eh_ruleset_error_count(rs)) {
		const struct eh_rule_error *e = eh_ruleset_error(rs, 0);
		cr_assert_fail("rule rejected: %d:%d: %s", e->line, e->column, e->reason);
	}
	cr_assert_eq(eh_ruleset_count(rs), 1);
	return rs;
}

/* The first error of YAML that must be rejected. */
static inline const struct eh_rule_error *rejection(struct eh_ruleset **rs, const char *yaml)
{
	*rs = eh_ruleset_new();
	eh_ruleset_load_text(*rs, "bad.yml", yaml, strlen(yaml));
	cr_assert_eq(eh_ruleset_count(*rs), 0, "the rule was accepted");
	cr_assert_eq(eh_ruleset_error_count(*rs), 1);
	return eh_ruleset_error(*rs, 0);
}

static inline bool matches(const struct eh_ruleset *rs, const struct eh_event *ev)
{
	struct eh_matcher *m = eh_matcher_new(rs);
	bool hit = eh_matcher_match(m, ev, NULL, NULL, NULL) > 0;
	eh_matcher_free(m);
	return hit;
}

#endif
