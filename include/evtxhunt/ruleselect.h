/* Rule selection (issue 16): rules left out by id or title
 * (--exclude-rule, --exclude-rules FILE) and rules kept by ATT&CK or other
 * tag (--tag). Applied to a loaded rule set, before --min-level and
 * --status; every rule set aside is counted, and every name that selects
 * nothing is said, so a typo in a kit's exclusion list is not silent. */
#ifndef EVTXHUNT_RULESELECT_H
#define EVTXHUNT_RULESELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "evtxhunt/sigma.h"

struct eh_rule_select;

struct eh_rule_select *eh_select_new(void);
void eh_select_free(struct eh_rule_select *s);

/* Leaves out the rules whose id or title is NAME (any case; blanks
 * around it ignored). WHERE says where NAME came from, for the warning
 * when it matches nothing ("--exclude-rule", "FILE:LINE"). */
void eh_select_exclude(struct eh_rule_select *s, const char *name, const char *where);
/* The same for each line of PATH: one id or title a line; blank lines
 * and lines starting with # are skipped. Returns 0, or -1 with *CAUSE
 * ("PATH: cannot open: reason", to be freed). */
int eh_select_exclude_file(struct eh_rule_select *s, const char *path, char **cause);
/* Keeps only rules with at least one of the tags given (any case). */
void eh_select_tag(struct eh_rule_select *s, const char *tag);
bool eh_select_active(const struct eh_rule_select *s);

struct eh_select_counts {
	size_t excluded; /* by --exclude-rule(s) */
	size_t untagged; /* with none of the --tag tags */
};
/* Sets aside the rules of RS that S leaves out; writes one warning line
 * to WARN for each name or tag that matched no loaded rule. */
void eh_select_apply(struct eh_rule_select *s, struct eh_ruleset *rs, FILE *warn, struct eh_select_counts *counts);

#endif
