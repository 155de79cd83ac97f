/*
 * module.c -- the directory module's descriptor.
 */
#include "directory/directory.h"

const struct egov_module egov_directory_module = {
    .name = "directory",
};
