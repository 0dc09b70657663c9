/* The built-in rule set: the YAML files of rules/ compiled into the binary. */
#ifndef EVTXHUNT_BUILTIN_H
#define EVTXHUNT_BUILTIN_H

struct eh_builtin_rule {
	const char *name;
	const char *yaml;
};

extern const struct eh_builtin_rule eh_builtin_rules[];
extern const unsigned eh_builtin_rule_count;

#endif
