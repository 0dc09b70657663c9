/* Log source mapping table. */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "evtxhunt/logsource.h"

const struct eh_logsource_row eh_logsource_table[] = {
	{ "process_creation", "windows", NULL, "Microsoft-Windows-Sysmon", 1 },
};
const size_t eh_logsource_rows = sizeof eh_logsource_table / sizeof eh_logsource_table[0];

static bool _agrees(const char *rule, const char *row)
{
	return rule == NULL || (row != NULL && strcasecmp(rule, row) == 0);
}

uint64_t eh_logsource_select(const char *category, const char *product, const char *service)
{
	uint64_t mask = 0;
	if (category == NULL && service == NULL)
		return 0; /* a product alone would mean every event of it */
	for (size_t i = 0; i < eh_logsource_rows; i++) {
		const struct eh_logsource_row *r = &eh_logsource_table[i];
		if (_agrees(category, r->category) && _agrees(product, r->product) && _agrees(service, r->service))
			mask |= UINT64_C(1) << i;
	}
	return mask;
}

int eh_logsource_row_of(const char *provider, uint32_t event_id)
{
	for (size_t i = 0; i < eh_logsource_rows; i++)
		if (eh_logsource_table[i].event_id == event_id && strcasecmp(eh_logsource_table[i].provider, provider) == 0)
			return (int)i;
	return -1;
}
