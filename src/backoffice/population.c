/*
 * population.c -- the synthetic world shared by the six back offices:
 * administrative divisions, people and households, land sections and
 * parcels, vehicles, companies and hospitals.
 *
 * Everything is a pure function of (seed, people, divisions): each back
 * office generates the whole world in memory (a fraction of a second per
 * 100,000 people) and stores its own part, so the same person owns the
 * parcel in the land registry, pays its land value tax in the tax system
 * and has the same address everywhere.  Each kind of thing draws from its
 * own random stream, indexed by the thing's number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoffice/bo_int.h"

enum {
    STREAM_HOUSEHOLD = 1,
    STREAM_PARCEL = 2,
    STREAM_VEHICLE = 3,
    STREAM_COMPANY = 4,
    STREAM_HOSPITAL = 5,
    STREAM_SECTION = 6,
};

/* The 22 counties and cities: MOI code, name, national-ID letter, rough population (10,000s). */
static const struct {
    const char *code, *name;
    char letter;
    unsigned int weight;
} cities[] = {
    {"63000000", "臺北市", 'A', 250}, {"66000000", "臺中市", 'B', 285},
    {"10017000", "基隆市", 'C', 36},  {"67000000", "臺南市", 'D', 186},
    {"64000000", "高雄市", 'E', 273}, {"65000000", "新北市", 'F', 400},
    {"10002000", "宜蘭縣", 'G', 45},  {"68000000", "桃園市", 'H', 230},
    {"10020000", "嘉義市", 'I', 26},  {"10004000", "新竹縣", 'J', 58},
    {"10005000", "苗栗縣", 'K', 54},  {"10008000", "南投縣", 'M', 48},
    {"10007000", "彰化縣", 'N', 124}, {"10018000", "新竹市", 'O', 45},
    {"10009000", "雲林縣", 'P', 66},  {"10010000", "嘉義縣", 'Q', 49},
    {"10013000", "屏東縣", 'T', 80},  {"10015000", "花蓮縣", 'U', 32},
    {"10014000", "臺東縣", 'V', 21},  {"09020000", "金門縣", 'W', 14},
    {"10016000", "澎湖縣", 'X', 10},  {"09007000", "連江縣", 'Z', 1},
};
#define NCITIES (sizeof(cities) / sizeof(cities[0]))

static const char *const surnames[] = {
    "陳", "陳", "陳", "林", "林", "黃", "黃", "張", "張",   "李", "李", "王", "王", "吳",
    "劉", "蔡", "楊", "許", "鄭", "謝", "郭", "洪", "曾",   "邱", "廖", "賴", "周", "徐",
    "蘇", "葉", "莊", "呂", "江", "何", "蕭", "羅", "高",   "潘", "簡", "朱", "鍾", "游",
    "彭", "詹", "胡", "施", "沈", "余", "盧", "梁", "趙",   "顏", "柯", "翁", "魏", "孫",
    "戴", "范", "方", "宋", "鄧", "杜", "傅", "侯", "歐陽", "溫", "薛", "丁", "卓", "馬"};
#define NSURNAMES (sizeof(surnames) / sizeof(surnames[0]))

static const char *const given_m[] = {"志", "明", "偉", "俊", "建", "宏", "家", "冠", "宇", "承",
                                      "柏", "翰", "文", "彥", "哲", "信", "國", "政", "嘉", "豪",
                                      "傑", "仁", "德", "昌", "勝", "民", "智", "誠", "瑞", "峰",
                                      "宗", "育", "廷", "祐", "銘", "耀", "凱", "泰", "聖", "安"};
static const char *const given_f[] = {"淑", "美", "惠", "雅", "怡", "婷", "芳", "玲", "秀", "佳",
                                      "欣", "宜", "君", "慧", "靜", "珮", "瑩", "琪", "筱", "萱",
                                      "蓉", "華", "麗", "芬", "娟", "如", "詩", "涵", "庭", "瑜",
                                      "穎", "潔", "薇", "妤", "真", "珍", "心", "晴", "彤", "玉"};
#define NGIVEN (sizeof(given_m) / sizeof(given_m[0]))
_Static_assert(sizeof(given_m) == sizeof(given_f), "both given-name lists have the same length");

/*
 * Rare characters used in names: none is in Big5, each is in CNS 11643
 * and in the in-house codes of the vehicle and tax offices, so they test
 * the whole conversion path (游錫堃, 陶喆, ...).
 */
static const char *const rare_chars[] = {"堃", "喆", "犇", "煊", "峯"};
#define NRARE (sizeof(rare_chars) / sizeof(rare_chars[0]))

static const char *const roads[] = {
    "中山路", "中正路", "民生路", "民族路", "民權路", "復興路", "和平路", "信義路", "仁愛路",
    "光復路", "建國路", "自由路", "成功路", "忠孝路", "文化路", "中華路", "大同路", "公園路",
    "博愛路", "勝利路", "三民路", "府前路", "林森路", "長安街", "永康街", "新生路"};
#define NROADS (sizeof(roads) / sizeof(roads[0]))

static const char *const section_words[] = {"中正", "仁愛", "民生", "福德", "興隆", "大安",
                                            "永和", "新興", "忠孝", "光明", "和平", "崇德",
                                            "信義", "平安", "成功", "自強"};
#define NSECWORDS (sizeof(section_words) / sizeof(section_words[0]))

static const char *const zonings[] = {"住宅區", "商業區", "農業區", "工業區", "保護區"};

const char *const bo_banks[BO_NBANKS] = {"臺灣銀行",         "臺灣土地銀行",    "合作金庫商業銀行",
                                         "第一商業銀行",     "華南商業銀行",    "彰化商業銀行",
                                         "兆豐國際商業銀行", "國泰世華商業銀行"};

static const char *const co_first[] = {"宏", "台", "新", "大", "永", "華", "信", "聯",
                                       "東", "合", "正", "鼎", "長", "豐", "全", "嘉"};
static const char *const co_second[] = {"達", "成", "發", "興", "泰", "昌", "益", "盛",
                                        "光", "榮", "源", "展", "和", "勝", "立", "佳"};
static const char *const co_trade[] = {"科技", "貿易", "建設", "食品", "電子", "實業",
                                       "資訊", "生技", "營造", "物流", "精密", "紡織"};

static const char *const makes_car[] = {"TOYOTA", "NISSAN", "HONDA",  "MITSUBISHI",
                                        "FORD",   "MAZDA",  "LUXGEN", "HYUNDAI"};
static const char *const makes_moto[] = {"KYMCO", "SYM", "YAMAHA", "SUZUKI", "GOGORO"};

/* ------------------------------------------------------------------ */
/* Divisions                                                           */
/* ------------------------------------------------------------------ */

static int city_index_of_code(const char *code)
{
    for (size_t i = 0; i < NCITIES; i++)
        if (strncmp(cities[i].code, code, 5) == 0)
            return (int)i;
    return -1;
}

/* Reads district-107.json (and checks city-112.json) from @p dir. */
static bool load_geocode(struct egov_backoffice_population *pop, const char *dir, char *err,
                         size_t errlen)
{
    char path[1024];
    json_error_t jerr;
    json_t *cj = NULL, *dj = NULL;
    bool ok = false;

    snprintf(path, sizeof(path), "%s/city-112.json", dir);
    cj = json_load_file(path, 0, &jerr);
    if (cj == NULL || !json_is_array(cj)) {
        snprintf(err, errlen, "cannot read %s: %s", path, cj == NULL ? jerr.text : "not a list");
        goto fail;
    }
    size_t ci;
    json_t *c;
    json_array_foreach(cj, ci, c)
    {
        const char *code = egov_json_get_str(c, "code", "");
        if (strlen(code) != 8 || city_index_of_code(code) < 0) {
            snprintf(err, errlen, "%s: entry %zu has an unknown city code \"%s\"", path, ci, code);
            goto fail;
        }
    }
    snprintf(path, sizeof(path), "%s/district-107.json", dir);
    dj = json_load_file(path, 0, &jerr);
    if (dj == NULL || !json_is_array(dj) || json_array_size(dj) == 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, dj == NULL ? jerr.text : "not a list");
        goto fail;
    }
    pop->districts = egov_calloc(json_array_size(dj), sizeof(*pop->districts));
    if (pop->districts == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    size_t di;
    json_t *d;
    json_array_foreach(dj, di, d)
    {
        const char *code = egov_json_get_str(d, "code", "");
        const char *name = egov_json_get_str(d, "name", "");
        int cix = city_index_of_code(code);
        if (strlen(code) != 8 || cix < 0 || name[0] == '\0' ||
            strlen(name) >= sizeof(pop->districts[0].name)) {
            snprintf(err, errlen, "%s: entry %zu is not a district of a known city", path, di);
            goto fail;
        }
        struct bo_district *x = &pop->districts[pop->ndistricts++];
        memcpy(x->code, code, 9);
        snprintf(x->city, sizeof(x->city), "%s", cities[cix].name);
        snprintf(x->name, sizeof(x->name), "%s", name);
        x->id_letter = cities[cix].letter;
    }
    ok = true;
fail:
    json_decref(cj);
    json_decref(dj);
    return ok;
}

static bool builtin_divisions(struct egov_backoffice_population *pop)
{
    pop->districts = egov_calloc(NCITIES, sizeof(*pop->districts));
    if (pop->districts == NULL)
        return false;
    for (size_t i = 0; i < NCITIES; i++) {
        struct bo_district *x = &pop->districts[pop->ndistricts++];
        memcpy(x->code, cities[i].code, 9);
        snprintf(x->city, sizeof(x->city), "%s", cities[i].name);
        x->name[0] = '\0';
        x->id_letter = cities[i].letter;
    }
    return true;
}

/* Picks a district: a city by population, then one of its districts. */
static unsigned int pick_district(const struct egov_backoffice_population *pop, struct bo_rng *r)
{
    unsigned int total = 0;
    for (size_t i = 0; i < NCITIES; i++)
        total += cities[i].weight;
    uint32_t w = bo_rng_below(r, total);
    size_t ci = 0;
    for (; ci < NCITIES - 1; ci++) {
        if (w < cities[ci].weight)
            break;
        w -= cities[ci].weight;
    }
    unsigned int n = 0;
    for (unsigned int i = 0; i < pop->ndistricts; i++)
        if (strncmp(pop->districts[i].code, cities[ci].code, 5) == 0)
            n++;
    if (n == 0)
        return bo_rng_below(r, pop->ndistricts);
    uint32_t k = bo_rng_below(r, n);
    for (unsigned int i = 0; i < pop->ndistricts; i++)
        if (strncmp(pop->districts[i].code, cities[ci].code, 5) == 0 && k-- == 0)
            return i;
    return 0;
}

static void make_address(const struct bo_district *d, struct bo_rng *r, char *out, size_t outlen)
{
    const char *road = roads[bo_rng_below(r, NROADS)];
    int sec = bo_rng_range(r, 0, 3);
    int no = bo_rng_range(r, 1, 320);
    int floor = bo_rng_chance(r, 60) ? bo_rng_range(r, 2, 15) : 0;
    char secs[16] = "", floors[16] = "";
    static const char *const cn[] = {"", "一", "二", "三"};
    if (sec > 0)
        snprintf(secs, sizeof(secs), "%s段", cn[sec]);
    if (floor > 0)
        snprintf(floors, sizeof(floors), "%d樓", floor);
    snprintf(out, outlen, "%s%s%s%s%d號%s", d->city, d->name, road, secs, no, floors);
}

/* ------------------------------------------------------------------ */
/* People                                                              */
/* ------------------------------------------------------------------ */

int bo_person_age(const struct egov_backoffice_person *p)
{
    int age = BO_YEAR - p->birth_year;
    if (p->birth_month > BO_MONTH || (p->birth_month == BO_MONTH && p->birth_day > BO_DAY))
        age--;
    return age;
}

static void make_given(struct bo_rng *r, char sex, bool rare, char *out, size_t outlen)
{
    const char *const *list = sex == 'M' ? given_m : given_f;
    const char *a = list[bo_rng_below(r, NGIVEN)];
    const char *b = list[bo_rng_below(r, NGIVEN)];
    if (rare) {
        if (bo_rng_chance(r, 50))
            a = rare_chars[bo_rng_below(r, NRARE)];
        else
            b = rare_chars[bo_rng_below(r, NRARE)];
    }
    if (bo_rng_chance(r, 8))
        snprintf(out, outlen, "%s", b);
    else
        snprintf(out, outlen, "%s%s", a, b);
}

static void make_person(struct egov_backoffice_population *pop, unsigned int i, struct bo_rng *r,
                        const char *surname, char sex, int age, unsigned int hh,
                        const struct bo_household *h)
{
    struct egov_backoffice_person *p = &pop->persons[i];
    char given[32];
    const struct bo_district *d = &pop->districts[h->district];
    /* a bijection of the person number onto 7 digits keeps IDs unique */
    uint32_t serial =
        (uint32_t)(((uint64_t)i * 7654321u + pop->seed % 9999991u * 1000003u) % 10000000u);

    memset(p, 0, sizeof(*p));
    p->sex = sex;
    bo_id_make(d->id_letter, sex == 'M' ? 1 : 2, serial, p->national_id);
    make_given(r, sex, bo_rng_chance(r, 2), given, sizeof(given));
    snprintf(p->name, sizeof(p->name), "%s%s", surname, given);
    p->birth_year = BO_YEAR - age;
    p->birth_month = bo_rng_range(r, 1, 12);
    p->birth_day = bo_rng_range(r, 1, 28);
    if (p->birth_year == BO_YEAR &&
        (p->birth_month > BO_MONTH || (p->birth_month == BO_MONTH && p->birth_day > BO_DAY)))
        p->birth_month = 1;
    p->household = hh;
    p->father = p->mother = p->spouse = -1;
    snprintf(p->address, sizeof(p->address), "%s", h->address);
    memcpy(p->district_code, d->code, sizeof(p->district_code));
}

static bool generate_people(struct egov_backoffice_population *pop)
{
    unsigned int n = pop->npersons;
    pop->households = egov_calloc(n > 0 ? n : 1, sizeof(*pop->households));
    pop->dead = egov_calloc(n > 0 ? n : 1, sizeof(*pop->dead));
    pop->death_year = egov_calloc(n > 0 ? n : 1, sizeof(*pop->death_year));
    if (pop->households == NULL || pop->dead == NULL || pop->death_year == NULL)
        return false;
    unsigned int i = 0, hh = 0;
    while (i < n) {
        struct bo_rng r;
        bo_rng_seed(&r, pop->seed, STREAM_HOUSEHOLD, hh);
        static const unsigned int size_pct[] = {25, 25, 20, 20, 10};
        unsigned int size = 1, roll = bo_rng_below(&r, 100);
        for (unsigned int s = 0; s < 5; s++) {
            if (roll < size_pct[s]) {
                size = s + 1;
                break;
            }
            roll -= size_pct[s];
        }
        if (size > n - i)
            size = n - i;
        struct bo_household *h = &pop->households[hh];
        h->first = i;
        h->count = size;
        h->district = pick_district(pop, &r);
        make_address(&pop->districts[h->district], &r, h->address, sizeof(h->address));
        uint32_t hserial =
            (uint32_t)(((uint64_t)hh * 3141593u + pop->seed % 9999991u * 7u + 271828u) % 10000000u);
        snprintf(h->no, sizeof(h->no), "%c%07u", pop->districts[h->district].id_letter,
                 (unsigned)hserial);

        char head_sex = bo_rng_chance(&r, 70) ? 'M' : 'F';
        int head_age = bo_rng_range(&r, 25, 85);
        const char *head_surname = surnames[bo_rng_below(&r, NSURNAMES)];
        make_person(pop, i, &r, head_surname, head_sex, head_age, hh, h);
        h->reg_year = BO_YEAR - bo_rng_range(&r, 0, head_age - 20);
        unsigned int made = 1;
        int spouse = -1;
        const char *kids_surname = head_surname;
        if (size >= 2 && bo_rng_chance(&r, 75)) {
            int sage = head_age + bo_rng_range(&r, -5, 5);
            if (sage < 20)
                sage = 20;
            const char *ss = surnames[bo_rng_below(&r, NSURNAMES)];
            make_person(pop, i + 1, &r, ss, head_sex == 'M' ? 'F' : 'M', sage, hh, h);
            spouse = (int)(i + 1);
            pop->persons[i].spouse = spouse;
            pop->persons[i + 1].spouse = (int)i;
            if (head_sex == 'F')
                kids_surname = ss;
            made++;
        }
        int young = head_age;
        if (spouse >= 0 && bo_person_age(&pop->persons[spouse]) < young)
            young = bo_person_age(&pop->persons[spouse]);
        for (; made < size; made++) {
            unsigned int k = i + made;
            int hi = young - 18, lo = young - 45;
            if (lo < 0)
                lo = 0;
            if (hi < lo)
                hi = lo;
            make_person(pop, k, &r, kids_surname, bo_rng_chance(&r, 50) ? 'M' : 'F',
                        bo_rng_range(&r, lo, hi), hh, h);
            struct egov_backoffice_person *c = &pop->persons[k];
            if (head_sex == 'M') {
                c->father = (int)i;
                c->mother = spouse;
            } else {
                c->mother = (int)i;
                c->father = spouse;
            }
        }
        /* a few of the old are recorded as deceased, still on the household's books */
        for (unsigned int k = i; k < i + size; k++) {
            if (bo_person_age(&pop->persons[k]) >= 80 && bo_rng_chance(&r, 15) && k != i) {
                pop->dead[k] = true;
                pop->death_year[k] = BO_YEAR - bo_rng_range(&r, 1, 5);
            }
        }
        i += size;
        hh++;
    }
    pop->nhouseholds = hh;
    return true;
}

/* A living adult (20+) drawn with @p r; any person only if there is none. */
static unsigned int pick_adult(const struct egov_backoffice_population *pop, struct bo_rng *r)
{
    unsigned int k = bo_rng_below(r, pop->npersons);
    /* from a random start, the next living adult (every household has one) */
    for (unsigned int n = 0; n < pop->npersons; n++) {
        unsigned int i = (k + n) % pop->npersons;
        if (!pop->dead[i] && bo_person_age(&pop->persons[i]) >= 20)
            return i;
    }
    return k;
}

/* ------------------------------------------------------------------ */
/* Land, vehicles, companies, hospitals                                */
/* ------------------------------------------------------------------ */

static bool generate_land(struct egov_backoffice_population *pop)
{
    pop->nsections = pop->ndistricts * 3;
    if (pop->nsections > 9999)
        pop->nsections = 9999;
    pop->sections = egov_calloc(pop->nsections, sizeof(*pop->sections));
    if (pop->sections == NULL)
        return false;
    static const char *const small[] = {"", "一小段", "二小段", "三小段"};
    for (unsigned int s = 0; s < pop->nsections; s++) {
        struct bo_rng r;
        bo_rng_seed(&r, pop->seed, STREAM_SECTION, s);
        struct bo_section *x = &pop->sections[s];
        x->district = s % pop->ndistricts;
        snprintf(x->code, sizeof(x->code), "%04u", (s + 1) % 10000u);
        snprintf(x->name, sizeof(x->name), "%s段%s", section_words[bo_rng_below(&r, NSECWORDS)],
                 small[bo_rng_below(&r, 4)]);
    }
    unsigned int n = pop->npersons * 3 / 10 + (pop->npersons > 0 ? 1 : 0);
    pop->parcels = egov_calloc(n > 0 ? n : 1, sizeof(*pop->parcels));
    if (pop->parcels == NULL)
        return false;
    for (unsigned int k = 0; k < n; k++) {
        struct bo_rng r;
        bo_rng_seed(&r, pop->seed, STREAM_PARCEL, k);
        struct bo_parcel *p = &pop->parcels[k];
        unsigned int owner = pick_adult(pop, &r);
        /* a parcel in a section of the owner's district */
        unsigned int dist = pop->households[pop->persons[owner].household].district;
        unsigned int per = pop->nsections / pop->ndistricts;
        p->section = per > 0 ? dist + pop->ndistricts * bo_rng_below(&r, per) : 0;
        if (p->section >= pop->nsections)
            p->section = dist % pop->nsections;
        snprintf(p->number, sizeof(p->number), "%04u%04u", k % 9999u + 1u, (k / 9999u) % 10000u);
        p->area_cm2 = (int64_t)bo_rng_range(&r, 3000, 200000) * 100 / 10;
        p->value_per_m2 = (int64_t)bo_rng_range(&r, 8, 900) * 1000;
        p->zoning = zonings[bo_rng_below(&r, 5)];
        p->owners[0] = owner;
        p->nowners = 1;
        p->share_den = 1;
        p->share_num[0] = 1;
        int sp = pop->persons[owner].spouse;
        if (sp >= 0 && !pop->dead[sp] && bo_rng_chance(&r, 30)) {
            p->owners[1] = (unsigned int)sp;
            p->nowners = 2;
            p->share_den = 2;
            p->share_num[1] = 1;
        } else if (bo_rng_chance(&r, 10)) {
            unsigned int other = pick_adult(pop, &r);
            if (other != owner) {
                p->owners[1] = other;
                p->nowners = 2;
                p->share_den = 4;
                p->share_num[0] = 3;
                p->share_num[1] = 1;
            }
        }
        p->reg_year = BO_YEAR - bo_rng_range(&r, 0, 40);
        p->has_building = bo_rng_chance(&r, 60);
        if (p->has_building) {
            snprintf(p->building_no, sizeof(p->building_no), "%05u-%03u", k % 99999u + 1u,
                     (k / 99999u) % 1000u);
            p->floor_cm2 = (int64_t)bo_rng_range(&r, 40, 300) * 10000;
            p->mortgage = bo_rng_chance(&r, 30);
            if (p->mortgage) {
                p->mortgage_amount = (int64_t)bo_rng_range(&r, 100, 3000) * 10000;
                p->mortgage_bank = bo_rng_below(&r, BO_NBANKS);
            }
        }
    }
    pop->nparcels = n;
    return true;
}

static bool generate_vehicles(struct egov_backoffice_population *pop)
{
    unsigned int cap = pop->npersons + 1, n = 0;
    pop->vehicles = egov_calloc(cap, sizeof(*pop->vehicles));
    if (pop->vehicles == NULL)
        return false;
    for (unsigned int i = 0; i < pop->npersons && n < cap; i++) {
        if (pop->dead[i] || bo_person_age(&pop->persons[i]) < 20)
            continue;
        struct bo_rng r;
        bo_rng_seed(&r, pop->seed, STREAM_VEHICLE, i);
        unsigned int roll = bo_rng_below(&r, 100);
        const char *kind = roll < 40   ? "car"
                           : roll < 75 ? "motorcycle"
                           : roll < 78 ? "truck"
                                       : NULL;
        if (kind == NULL)
            continue;
        struct bo_vehicle *v = &pop->vehicles[n];
        bo_plate_make(n, v->plate);
        v->owner = i;
        v->kind = kind;
        if (kind[0] == 'm') {
            v->make = makes_moto[bo_rng_below(&r, 5)];
            v->cc = bo_rng_chance(&r, 80) ? 125 : 150;
        } else {
            v->make = makes_car[bo_rng_below(&r, 8)];
            static const int ccs[] = {1200, 1500, 1800, 2000, 2400, 3000};
            v->cc = kind[0] == 't' ? 3500 : ccs[bo_rng_below(&r, 6)];
        }
        v->reg_year = BO_YEAR - bo_rng_range(&r, 0, 15);
        v->reg_month = bo_rng_range(&r, 1, 12);
        v->reg_day = bo_rng_range(&r, 1, 28);
        v->fines = bo_rng_chance(&r, 20) ? bo_rng_range(&r, 1, 3) : 0;
        n++;
    }
    pop->nvehicles = n;
    return true;
}

static bool generate_companies(struct egov_backoffice_population *pop)
{
    unsigned int n = pop->npersons / 20 + (pop->npersons > 0 ? 1 : 0);
    pop->companies = egov_calloc(n > 0 ? n : 1, sizeof(*pop->companies));
    if (pop->companies == NULL)
        return false;
    static const char *const statuses[] = {"核准設立", "核准設立", "核准設立", "核准設立",
                                           "核准設立", "核准設立", "核准設立", "核准設立",
                                           "停業",     "解散"};
    for (unsigned int k = 0; k < n; k++) {
        struct bo_rng r;
        bo_rng_seed(&r, pop->seed, STREAM_COMPANY, k);
        struct bo_company *c = &pop->companies[k];
        bo_ban_make(k, c->ban);
        bool corp = bo_rng_chance(&r, 60);
        snprintf(c->name, sizeof(c->name), "%s%s%s%s", co_first[bo_rng_below(&r, 16)],
                 co_second[bo_rng_below(&r, 16)], co_trade[bo_rng_below(&r, 12)],
                 corp ? "股份有限公司" : "有限公司");
        c->representative = pick_adult(pop, &r);
        c->directors[0] = c->representative;
        c->ndirectors = 1;
        unsigned int more = corp ? (unsigned int)bo_rng_range(&r, 1, 2) : 0;
        for (unsigned int d = 0; d < more; d++) {
            unsigned int p = pick_adult(pop, &r);
            bool dup = false;
            for (unsigned int e = 0; e < c->ndirectors; e++)
                dup |= c->directors[e] == p;
            if (!dup)
                c->directors[c->ndirectors++] = p;
        }
        c->capital = (int64_t)bo_rng_range(&r, 1, 5000) * 100000;
        c->district = pick_district(pop, &r);
        make_address(&pop->districts[c->district], &r, c->address, sizeof(c->address));
        c->est_year = BO_YEAR - bo_rng_range(&r, 0, 40);
        c->est_month = bo_rng_range(&r, 1, 12);
        c->est_day = bo_rng_range(&r, 1, 28);
        c->status = statuses[bo_rng_below(&r, 10)];
    }
    pop->ncompanies = n;
    return true;
}

static bool generate_hospitals(struct egov_backoffice_population *pop)
{
    unsigned int n = pop->ndistricts * 2;
    pop->hospitals = egov_calloc(n, sizeof(*pop->hospitals));
    if (pop->hospitals == NULL)
        return false;
    static const char *const clinic_words[] = {"仁愛", "康健", "安心", "博愛",
                                               "永春", "長青", "佑民", "慈心"};
    for (unsigned int k = 0; k < n; k++) {
        struct bo_rng r;
        bo_rng_seed(&r, pop->seed, STREAM_HOSPITAL, k);
        struct bo_hospital *h = &pop->hospitals[k];
        h->district = k / 2;
        const struct bo_district *d = &pop->districts[h->district];
        h->hospital = k % 2 == 0 && bo_rng_chance(&r, 40);
        snprintf(h->code, sizeof(h->code), "%.2s%08u", d->code, (k + 1) % 100000000u);
        const char *place = d->name[0] != '\0' ? d->name : d->city;
        if (h->hospital)
            snprintf(h->name, sizeof(h->name), "%s綜合醫院", place);
        else
            snprintf(h->name, sizeof(h->name), "%s%s診所", place,
                     clinic_words[bo_rng_below(&r, 8)]);
        make_address(d, &r, h->address, sizeof(h->address));
    }
    pop->nhospitals = n;
    return true;
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */
/* ------------------------------------------------------------------ */

struct egov_backoffice_population *egov_backoffice_population_new(uint64_t seed,
                                                                  unsigned int people,
                                                                  const char *geocode_dir,
                                                                  char *err, size_t errlen)
{
    struct egov_backoffice_population *pop = egov_calloc(1, sizeof(*pop));
    if (pop == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pop->seed = seed;
    if (people > 10000000u) {
        snprintf(err, errlen, "at most 10,000,000 people can be generated");
        goto fail;
    }
    if (geocode_dir != NULL) {
        if (!load_geocode(pop, geocode_dir, err, errlen))
            goto fail;
    } else if (!builtin_divisions(pop)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    pop->npersons = people;
    pop->persons = egov_calloc(people > 0 ? people : 1, sizeof(*pop->persons));
    if (pop->persons == NULL || !generate_people(pop) || !generate_land(pop) ||
        !generate_vehicles(pop) || !generate_companies(pop) || !generate_hospitals(pop)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return pop;
fail:
    egov_backoffice_population_free(pop);
    return NULL;
}

void egov_backoffice_population_free(struct egov_backoffice_population *pop)
{
    if (pop == NULL)
        return;
    egov_free(pop->districts);
    egov_free(pop->persons);
    egov_free(pop->households);
    egov_free(pop->sections);
    egov_free(pop->parcels);
    egov_free(pop->vehicles);
    egov_free(pop->companies);
    egov_free(pop->hospitals);
    egov_free(pop->dead);
    egov_free(pop->death_year);
    egov_free(pop);
}

unsigned int egov_backoffice_population_size(const struct egov_backoffice_population *pop)
{
    return pop == NULL ? 0 : pop->npersons;
}

const struct egov_backoffice_person *
egov_backoffice_population_person(const struct egov_backoffice_population *pop, unsigned int i)
{
    return pop == NULL || i >= pop->npersons ? NULL : &pop->persons[i];
}

int egov_backoffice_population_demo_citizen(const struct egov_backoffice_population *pop)
{
    if (pop == NULL)
        return -1;
    /* first owners of parcels, in parcel order, who also own a vehicle */
    for (unsigned int k = 0; k < pop->nparcels; k++) {
        unsigned int o = pop->parcels[k].owners[0];
        int age = bo_person_age(&pop->persons[o]);
        if (pop->dead[o] || age < 25 || age > 65)
            continue;
        for (unsigned int v = 0; v < pop->nvehicles; v++)
            if (pop->vehicles[v].owner == o)
                return (int)o;
    }
    return -1;
}
