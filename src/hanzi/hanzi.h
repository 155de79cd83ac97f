/*
 * hanzi.h -- Chinese character platform: CNS 11643, Unicode, Big5 and agency codes; variants; ordering; rare-character input.
 */
#ifndef EGOV_HANZI_H
#define EGOV_HANZI_H

#include "http/http.h"

/** The hanzi module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_hanzi_module;

#endif /* EGOV_HANZI_H */
