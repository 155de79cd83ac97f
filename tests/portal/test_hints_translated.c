/*
 * test_hints_translated.c -- every error hint in src/core/errors.def has a
 * Traditional Chinese translation in the built catalog.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_info.h"
#include "http/http.h"

struct hint {
    const char *name;
    const char *hint;
};

static const struct hint hints[] = {
#define EGOV_ERROR(code, name, status, hint) {#name, hint},
#include "core/errors.def"
#undef EGOV_ERROR
};

static void test_every_hint_has_a_zh_tw_translation(void **state)
{
    const char *localedir = getenv("EGOV_LOCALEDIR");
    size_t missing = 0;

    egov_i18n_load(localedir != NULL ? localedir : EGOV_BUILD_LOCALEDIR);
    for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        const char *tr = egov_i18n_gettext("zh-TW", hints[i].hint);
        /* a translation is a different string from the English msgid */
        if (tr == hints[i].hint || strcmp(tr, hints[i].hint) == 0) {
            fprintf(stderr, "untranslated hint of %s: \"%s\"\n", hints[i].name, hints[i].hint);
            missing++;
        }
    }
    egov_i18n_load(NULL);
    assert_true(sizeof(hints) / sizeof(hints[0]) > 30);
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_hint_has_a_zh_tw_translation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
