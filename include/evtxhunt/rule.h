/* A rule made outside the rule loader (merge.c builds rules from the
 * JSON lines it reads) is freed by the sigma module's own destructor,
 * which knows every field a rule holds. */
#ifndef EVTXHUNT_RULE_H
#define EVTXHUNT_RULE_H

#include "evtxhunt/sigma.h"

/* Frees RULE and everything it owns (a NULL field is fine; NULL: no-op). */
void eh_rule_free(struct eh_rule *rule);

#endif
