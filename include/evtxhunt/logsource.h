/* Log source mapping: which events a Sigma logsource means. A table, so
 * the next log source is a row away. */
#ifndef EVTXHUNT_LOGSOURCE_H
#define EVTXHUNT_LOGSOURCE_H

#include <stddef.h>
#include <stdint.h>

struct eh_logsource_row {
	const char *category; /* NULL: any */
	const char *product;
	const char *service;
	const char *provider; /* event provider (System/Provider/@Name) */
	uint32_t event_id;
};

extern const struct eh_logsource_row eh_logsource_table[];
extern const size_t eh_logsource_rows;

/* Bit mask of the rows a rule's logsource selects (NULL: not given). */
uint64_t eh_logsource_select(const char *category, const char *product, const char *service);
/* Row index for an event, or -1 when no row describes it. */
int eh_logsource_row_of(const char *provider, uint32_t event_id);

#endif
