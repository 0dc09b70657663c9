/* The built-in rule set: the YAML files of rules/ compiled into the binary. */
#ifndef EVTXHUNT_BUILTIN_H
#define EVTXHUNT_BUILTIN_H

struct eh_builtin_rule {
	const char *name;
	const char *yaml;
};

extern const struct eh_builtin_rule eh_builtin_rules[];
extern const unsigned eh_builtin_rule_count;

/* The rule pack compiled in with ./configure --with-builtin-pack=DIR
 * (build-aux/embed-pack.sh), found by -r @NAME after the search path's
 * packs: a triage kit in one file. NAME NULL: none. Each rule is named
 * "builtin:NAME/PATH-IN-THE-PACK". */
extern const char *const eh_builtin_pack_name;
extern const char *const eh_builtin_pack_license;    /* its LICENSE */
extern const char *const eh_builtin_pack_provenance; /* its PROVENANCE ("" without) */
extern const struct eh_builtin_rule eh_builtin_pack_rules[];
extern const unsigned eh_builtin_pack_rule_count;

#endif
