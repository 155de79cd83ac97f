/*
 * test_population.c -- identifiers (national ID, 統一編號, plates) and the
 * synthetic population: checksums, uniqueness, determinism, families,
 * real divisions from the geocode tables, rare characters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backoffice/bo_int.h"
#include "testlib.h"

static void test_national_id(void **state)
{
    (void)state;
    assert_true(egov_backoffice_national_id_valid("A123456789"));
    assert_true(egov_backoffice_national_id_valid("F131104093"));
    assert_false(egov_backoffice_national_id_valid("A123456788")); /* check digit */
    assert_false(egov_backoffice_national_id_valid("A323456789")); /* sex digit */
    assert_false(egov_backoffice_national_id_valid("a123456789"));
    assert_false(egov_backoffice_national_id_valid("A12345678"));
    assert_false(egov_backoffice_national_id_valid("A1234567890"));
    assert_false(egov_backoffice_national_id_valid("A12345678X"));
    assert_false(egov_backoffice_national_id_valid(""));
    assert_false(egov_backoffice_national_id_valid(NULL));
    char id[11];
    for (uint32_t s = 0; s < 20000; s += 7) {
        bo_id_make((char)('A' + s % 26), s % 2 ? 1 : 2, s * 31u, id);
        assert_true(egov_backoffice_national_id_valid(id));
    }
    bo_id_make('Z', 8, 42, id); /* new resident certificate numbers */
    assert_true(egov_backoffice_national_id_valid(id));
}

static void test_ban(void **state)
{
    (void)state;
    assert_true(egov_backoffice_ban_valid("22099131")); /* sum 30 */
    assert_true(egov_backoffice_ban_valid("04595257"));
    assert_false(egov_backoffice_ban_valid("22099132"));
    assert_false(egov_backoffice_ban_valid("2209913"));
    assert_false(egov_backoffice_ban_valid("2209913a"));
    assert_false(egov_backoffice_ban_valid(NULL));
    /* the seventh digit 7: 28 counts as 10 or as 1 */
    assert_true(egov_backoffice_ban_valid("10458575"));
    assert_true(egov_backoffice_ban_valid("10458574"));
    char ban[9];
    for (uint32_t s = 0; s < 50000; s += 3) {
        bo_ban_make(s, ban);
        assert_true(egov_backoffice_ban_valid(ban));
    }
}

static void test_plate(void **state)
{
    (void)state;
    assert_true(egov_backoffice_plate_valid("ABC-1235"));
    assert_false(egov_backoffice_plate_valid("AIC-1235")); /* no I */
    assert_false(egov_backoffice_plate_valid("ABO-1235")); /* no O */
    assert_false(egov_backoffice_plate_valid("ABC-1234")); /* no 4 */
    assert_false(egov_backoffice_plate_valid("ABC1235"));
    assert_false(egov_backoffice_plate_valid("abc-1235"));
    assert_false(egov_backoffice_plate_valid(NULL));
    char a[9], b[9];
    for (uint32_t s = 0; s < 30000; s++) {
        bo_plate_make(s, a);
        assert_true(egov_backoffice_plate_valid(a));
        bo_plate_make(s + 1, b);
        assert_string_not_equal(a, b);
    }
}

static int cmp_ids(const void *x, const void *y)
{
    return strcmp(((const struct egov_backoffice_person *)x)->national_id,
                  ((const struct egov_backoffice_person *)y)->national_id);
}

static void test_population_consistent(void **state)
{
    (void)state;
    char err[256] = "";
    struct egov_backoffice_population *pop =
        egov_backoffice_population_new(5, 5000, NULL, err, sizeof(err));
    assert_non_null(pop);
    assert_int_equal(egov_backoffice_population_size(pop), 5000);
    assert_null(egov_backoffice_population_person(pop, 5000));
    unsigned int rare = 0, couples = 0, children = 0;
    for (unsigned int i = 0; i < pop->npersons; i++) {
        const struct egov_backoffice_person *p = &pop->persons[i];
        assert_true(egov_backoffice_national_id_valid(p->national_id));
        assert_true(p->sex == 'M' || p->sex == 'F');
        assert_true((p->national_id[1] == '1') == (p->sex == 'M'));
        assert_true(p->name[0] != '\0');
        assert_true(p->address[0] != '\0');
        assert_int_equal(strlen(p->district_code), 8);
        const char *r[] = {"堃", "喆", "犇", "煊", "峯"};
        for (size_t k = 0; k < 5; k++)
            if (strstr(p->name, r[k]) != NULL) {
                rare++;
                break;
            }
        if (p->spouse >= 0) {
            couples++;
            assert_int_equal(pop->persons[p->spouse].spouse, (int)i);
            assert_true(pop->persons[p->spouse].sex != p->sex);
        }
        if (p->father >= 0) {
            children++;
            assert_int_equal(pop->persons[p->father].sex, 'M');
            assert_true(pop->persons[p->father].birth_year < p->birth_year);
            assert_int_equal(pop->persons[p->father].household, p->household);
        }
        if (p->mother >= 0)
            assert_int_equal(pop->persons[p->mother].sex, 'F');
        /* everyone in a household has its address */
        assert_string_equal(p->address, pop->households[p->household].address);
    }
    assert_true(rare > 20 && rare < 300);
    assert_true(couples > 1000);
    assert_true(children > 500);

    /* national IDs are unique */
    struct egov_backoffice_person *copy = malloc(sizeof(*copy) * pop->npersons);
    assert_non_null(copy);
    memcpy(copy, pop->persons, sizeof(*copy) * pop->npersons);
    qsort(copy, pop->npersons, sizeof(*copy), cmp_ids);
    for (unsigned int i = 1; i < pop->npersons; i++)
        assert_string_not_equal(copy[i - 1].national_id, copy[i].national_id);
    free(copy);

    /* the things people own belong to living adults, and codes are valid */
    for (unsigned int k = 0; k < pop->nparcels; k++) {
        assert_int_equal(strlen(pop->parcels[k].number), 8);
        assert_true(pop->parcels[k].nowners >= 1);
    }
    for (unsigned int k = 0; k < pop->nvehicles; k++) {
        assert_true(egov_backoffice_plate_valid(pop->vehicles[k].plate));
        assert_false(pop->dead[pop->vehicles[k].owner]);
        assert_true(bo_person_age(&pop->persons[pop->vehicles[k].owner]) >= 20);
    }
    for (unsigned int k = 0; k < pop->ncompanies; k++)
        assert_true(egov_backoffice_ban_valid(pop->companies[k].ban));
    int demo = egov_backoffice_population_demo_citizen(pop);
    assert_true(demo >= 0);
    assert_false(pop->dead[demo]);

    /* deterministic: the same seed gives the same world, another seed another one */
    struct egov_backoffice_population *again =
        egov_backoffice_population_new(5, 5000, NULL, err, sizeof(err));
    struct egov_backoffice_population *other =
        egov_backoffice_population_new(6, 5000, NULL, err, sizeof(err));
    assert_non_null(again);
    assert_non_null(other);
    assert_memory_equal(pop->persons, again->persons, sizeof(*pop->persons) * pop->npersons);
    assert_int_equal(pop->nparcels, again->nparcels);
    assert_memory_equal(pop->parcels, again->parcels, sizeof(*pop->parcels) * pop->nparcels);
    assert_int_equal(pop->nvehicles, again->nvehicles);
    assert_string_not_equal(pop->persons[0].national_id, other->persons[0].national_id);
    egov_backoffice_population_free(pop);
    egov_backoffice_population_free(again);
    egov_backoffice_population_free(other);
}

static void test_geocode(void **state)
{
    (void)state;
    const char *shared = getenv("EGOV_SHARED_DATA");
    char dir[1024], err[256] = "";
    struct stat st;
    if (shared == NULL) {
        skip();
        return;
    }
    snprintf(dir, sizeof(dir), "%s/geocode", shared);
    if (stat(dir, &st) != 0) {
        skip();
        return;
    }
    struct egov_backoffice_population *pop =
        egov_backoffice_population_new(9, 3000, dir, err, sizeof(err));
    assert_non_null(pop);
    assert_true(pop->ndistricts > 300); /* towns and districts, not only the 22 cities */
    bool taipei_district = false;
    for (unsigned int i = 0; i < pop->npersons; i++)
        if (strncmp(pop->persons[i].district_code, "63000", 5) == 0 &&
            strcmp(pop->persons[i].district_code, "63000000") != 0)
            taipei_district = true;
    assert_true(taipei_district);
    egov_backoffice_population_free(pop);

    /* a folder without the tables is an error naming the file */
    pop = egov_backoffice_population_new(9, 10, "/nonexistent", err, sizeof(err));
    assert_null(pop);
    assert_non_null(strstr(err, "city-112.json"));
}

static void test_builtin_divisions(void **state)
{
    (void)state;
    char err[256];
    struct egov_backoffice_population *pop =
        egov_backoffice_population_new(1, 100, NULL, err, sizeof(err));
    assert_non_null(pop);
    assert_int_equal(pop->ndistricts, 22);
    egov_backoffice_population_free(pop);
    pop = egov_backoffice_population_new(1, 0, NULL, err, sizeof(err));
    assert_non_null(pop);
    assert_int_equal(egov_backoffice_population_demo_citizen(pop), -1);
    egov_backoffice_population_free(pop);
}

static void test_info(void **state)
{
    (void)state;
    enum egov_backoffice_agency a;
    assert_true(egov_backoffice_agency_parse("vehicle", &a));
    assert_int_equal(a, EGOV_BO_VEHICLE);
    assert_false(egov_backoffice_agency_parse("police", &a));
    assert_null(egov_backoffice_info((enum egov_backoffice_agency)EGOV_BO_COUNT));
    for (int i = 0; i < EGOV_BO_COUNT; i++) {
        const struct egov_backoffice_info *info = egov_backoffice_info(i);
        assert_non_null(info);
        json_t *doc = bo_openapi(i);
        assert_non_null(doc);
        json_t *paths = json_object_get(doc, "paths");
        for (const struct egov_backoffice_endpoint *e = info->endpoints; e->service; e++) {
            json_t *item = json_object_get(paths, e->path);
            assert_non_null(item);
            char m[8];
            size_t k = 0;
            for (; e->method[k] && k < 7; k++)
                m[k] = (char)(e->method[k] | 0x20);
            m[k] = '\0';
            assert_non_null(json_object_get(item, m));
        }
        assert_int_equal(json_object_get(paths, "/events") != NULL &&
                             json_object_get(json_object_get(paths, "/events"), "post") != NULL,
                         info->receives_events);
        json_decref(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_national_id), cmocka_unit_test(test_ban),
        cmocka_unit_test(test_plate),       cmocka_unit_test(test_population_consistent),
        cmocka_unit_test(test_geocode),     cmocka_unit_test(test_builtin_divisions),
        cmocka_unit_test(test_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
