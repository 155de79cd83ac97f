/*
 * module.c -- the gateway module's descriptor.
 */
#include "gateway/gateway.h"

const struct egov_module egov_gateway_module = {
    .name = "gateway",
};
