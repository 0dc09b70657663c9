/* The public face of the sigma module's rule destructor (see rule.h):
 * callers outside the compiler stay off sigma_internal.h. */
#include "config.h"

#include "evtxhunt/rule.h"
#include "evtxhunt/sigma_internal.h"

void eh_rule_free(struct eh_rule *rule)
{
	sigma_rule_free(rule);
}
