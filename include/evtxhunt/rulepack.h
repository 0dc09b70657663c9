/* Named rule packs (issue 16): `-r @NAME` loads the directory NAME from
 * a search path, so a triage kit names its rules instead of a path that
 * differs from machine to machine. A pack is a directory of Sigma rules
 * with the rules' LICENSE, a PROVENANCE file (where the rules came from,
 * when the pack was built) and SHA256SUMS; tools/make-rules-pack.sh makes
 * one. */
#ifndef EVTXHUNT_RULEPACK_H
#define EVTXHUNT_RULEPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The directories packs are looked for in, in order: each entry of
 * $EVTXHUNT_RULES_PACKS (colon-separated; empty entries skipped), then
 * packs/ beside the running binary (a kit on a USB stick), then the
 * installed $(pkgdatadir)/rules. A NULL-terminated array; free with
 * eh_rulepack_dirs_free. */
char **eh_rulepack_dirs(void);
void eh_rulepack_dirs_free(char **dirs);

/* The directory of pack NAME: the first DIR/NAME of the search path that
 * is a directory. NULL with *CAUSE NULL when none is but NAME is the
 * compiled-in pack; NULL with *CAUSE (to be freed) when NAME is not a pack
 * name or no directory holds it. */
char *eh_rulepack_find(const char *name, char **cause);

/* Whether NAME is the pack compiled into the binary (builtin.h): what
 * -r @NAME loads when no directory of the search path holds NAME. */
bool eh_rulepack_is_builtin(const char *name);
/* The YAML text of the compiled-in pack's rule named FILE ("builtin:..."),
 * or NULL. */
const char *eh_rulepack_builtin_yaml(const char *file);

/* One line per pack on the search path (a name met again further on is
 * shadowed, and said so): name, rule files, directory, provenance; the
 * compiled-in pack last. Returns the number of packs listed. */
size_t eh_rulepack_list(FILE *out);

#endif
