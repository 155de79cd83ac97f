/*
 * version.c -- `egov version`.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "build_info.h"
#include "cli/cli.h"

int egov_cli_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: egov version\n\nPrints egov's version and the versions of the libraries "
               "it runs on.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: egov version\n");
        return 2;
    }
    int pq = PQlibVersion();
    printf("egov %s\n", EGOV_VERSION);
    printf("  libmicrohttpd %s\n", MHD_get_version());
    printf("  sqlite %s\n", sqlite3_libversion());
    printf("  libpq %d.%d\n", pq / 10000, pq % 10000);
    printf("  jansson %s\n", jansson_version_str());
    printf("  %s\n", OpenSSL_version(OPENSSL_VERSION));
    printf("  libcurl %s\n", curl_version_info(CURLVERSION_NOW)->version);
    return 0;
}
