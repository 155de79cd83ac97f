/*
 * schema.c -- the database of each back office.  Each agency's system has
 * its own database and its own numbered migrations; the tax and vehicle
 * systems keep names and addresses as bytes in their legacy code.
 */
#include "backoffice/bo_int.h"

/*
 * Tables every back office has: received deliveries and settings.  They
 * are a migration list of their own, so that a process running several
 * back offices (tests) can register every agency's list at once.
 */
#define BO_COMMON_SQL                                                                              \
    "CREATE TABLE bo_delivery (delivery_id TEXT PRIMARY KEY, subject TEXT NOT NULL,"               \
    " received_at BIGINT NOT NULL, updated BIGINT NOT NULL);"                                      \
    "CREATE TABLE bo_setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);"

static const struct egov_db_migration common_migrations[] = {
    {1, "received deliveries and settings", BO_COMMON_SQL, NULL},
    {2, "time of the latest applied event per person",
     "CREATE TABLE bo_person_event (national_id TEXT PRIMARY KEY, event_time BIGINT NOT NULL)",
     NULL},
    {0, NULL, NULL, NULL},
};

static const struct egov_db_migration household_migrations[] = {
    {1, "household registry",
     "CREATE TABLE hh_household (household_no TEXT PRIMARY KEY, head_id TEXT NOT NULL,"
     " address TEXT NOT NULL, district_code TEXT NOT NULL, registered_on TEXT NOT NULL);"
     "CREATE TABLE hh_person (national_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
     " sex TEXT NOT NULL, birth_date TEXT NOT NULL, father_id TEXT, mother_id TEXT,"
     " spouse_id TEXT, household_no TEXT NOT NULL REFERENCES hh_household(household_no),"
     " relation TEXT NOT NULL, status TEXT NOT NULL, death_date TEXT,"
     " updated_at BIGINT NOT NULL);"
     "CREATE INDEX hh_person_household ON hh_person (household_no);"
     "CREATE TABLE hh_record (id TEXT PRIMARY KEY, national_id TEXT NOT NULL,"
     " kind TEXT NOT NULL, event_date TEXT NOT NULL, detail TEXT NOT NULL,"
     " recorded_at BIGINT NOT NULL);"
     "CREATE INDEX hh_record_person ON hh_record (national_id, event_date);"
     "CREATE TABLE hh_outbox (seq BIGINT PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
     " subject TEXT NOT NULL, event_key TEXT NOT NULL, created_at BIGINT NOT NULL,"
     " data TEXT NOT NULL)",
     NULL},
    {0, NULL, NULL, NULL},
};

static const struct egov_db_migration land_migrations[] = {
    {1, "land registry",
     "CREATE TABLE land_section (code TEXT PRIMARY KEY, name TEXT NOT NULL,"
     " district_code TEXT NOT NULL, district_name TEXT NOT NULL);"
     "CREATE TABLE land_parcel (section_code TEXT NOT NULL REFERENCES land_section(code),"
     " number TEXT NOT NULL, area_cm2 BIGINT NOT NULL, zoning TEXT NOT NULL,"
     " value_per_m2 BIGINT NOT NULL, registered_on TEXT NOT NULL,"
     " PRIMARY KEY (section_code, number));"
     "CREATE TABLE land_owner (section_code TEXT NOT NULL, number TEXT NOT NULL,"
     " owner_id TEXT NOT NULL, owner_name TEXT NOT NULL, owner_address TEXT NOT NULL,"
     " share_num BIGINT NOT NULL, share_den BIGINT NOT NULL, registered_on TEXT NOT NULL,"
     " PRIMARY KEY (section_code, number, owner_id));"
     "CREATE INDEX land_owner_person ON land_owner (owner_id);"
     "CREATE TABLE land_building (section_code TEXT NOT NULL, building_no TEXT NOT NULL,"
     " parcel_number TEXT NOT NULL, address TEXT NOT NULL, floor_cm2 BIGINT NOT NULL,"
     " owner_id TEXT NOT NULL, owner_name TEXT NOT NULL, owner_address TEXT NOT NULL,"
     " PRIMARY KEY (section_code, building_no));"
     "CREATE INDEX land_building_owner ON land_building (owner_id);"
     "CREATE INDEX land_building_parcel ON land_building (section_code, parcel_number);"
     "CREATE TABLE land_mortgage (section_code TEXT NOT NULL, number TEXT NOT NULL,"
     " seq BIGINT NOT NULL, creditor TEXT NOT NULL, amount BIGINT NOT NULL,"
     " registered_on TEXT NOT NULL, PRIMARY KEY (section_code, number, seq))",
     NULL},
    {0, NULL, NULL, NULL},
};

static const struct egov_db_migration tax_migrations[] = {
    {1, "tax system",
     "CREATE TABLE tax_payer (national_id TEXT PRIMARY KEY, name BLOB NOT NULL,"
     " address BLOB NOT NULL, district_code TEXT NOT NULL, updated_at BIGINT NOT NULL);"
     "CREATE TABLE tax_income (national_id TEXT NOT NULL, year BIGINT NOT NULL,"
     " gross BIGINT NOT NULL, taxable BIGINT NOT NULL, tax BIGINT NOT NULL,"
     " PRIMARY KEY (national_id, year));"
     "CREATE TABLE tax_bill (bill_no TEXT PRIMARY KEY, national_id TEXT NOT NULL,"
     " kind TEXT NOT NULL, year BIGINT NOT NULL, object TEXT NOT NULL,"
     " amount BIGINT NOT NULL, due_date TEXT NOT NULL, paid_at BIGINT);"
     "CREATE INDEX tax_bill_payer ON tax_bill (national_id, year);"
     "CREATE TABLE tax_payment (id TEXT PRIMARY KEY, bill_no TEXT NOT NULL,"
     " amount BIGINT NOT NULL, paid_at BIGINT NOT NULL)",
     NULL},
    {0, NULL, NULL, NULL},
};

static const struct egov_db_migration business_migrations[] = {
    {1, "business registry",
     "CREATE TABLE biz_company (ban TEXT PRIMARY KEY, name TEXT NOT NULL,"
     " representative_id TEXT NOT NULL, representative_name TEXT NOT NULL,"
     " capital BIGINT NOT NULL, address TEXT NOT NULL, district_code TEXT NOT NULL,"
     " status TEXT NOT NULL, established_on TEXT NOT NULL);"
     "CREATE TABLE biz_director (ban TEXT NOT NULL REFERENCES biz_company(ban),"
     " person_id TEXT NOT NULL, name TEXT NOT NULL, title TEXT NOT NULL,"
     " shares BIGINT NOT NULL, PRIMARY KEY (ban, person_id));"
     "CREATE INDEX biz_director_person ON biz_director (person_id)",
     NULL},
    {0, NULL, NULL, NULL},
};

static const struct egov_db_migration vehicle_migrations[] = {
    {1, "vehicle registry",
     "CREATE TABLE veh_person (national_id TEXT PRIMARY KEY, name BLOB NOT NULL,"
     " address BLOB NOT NULL, district_code TEXT NOT NULL, updated_at BIGINT NOT NULL);"
     "CREATE TABLE veh_vehicle (plate TEXT PRIMARY KEY, owner_id TEXT NOT NULL,"
     " kind TEXT NOT NULL, make TEXT NOT NULL, cc BIGINT NOT NULL,"
     " registered_on TEXT NOT NULL, inspection_due TEXT NOT NULL);"
     "CREATE INDEX veh_vehicle_owner ON veh_vehicle (owner_id);"
     "CREATE TABLE veh_licence (national_id TEXT NOT NULL, class TEXT NOT NULL,"
     " issued_on TEXT NOT NULL, expires_on TEXT NOT NULL, status TEXT NOT NULL,"
     " PRIMARY KEY (national_id, class));"
     "CREATE TABLE veh_inspection (plate TEXT NOT NULL, inspected_on TEXT NOT NULL,"
     " result TEXT NOT NULL, station TEXT NOT NULL, PRIMARY KEY (plate, inspected_on));"
     "CREATE TABLE veh_fine (fine_no TEXT PRIMARY KEY, plate TEXT NOT NULL,"
     " owner_id TEXT NOT NULL, issued_on TEXT NOT NULL, violation TEXT NOT NULL,"
     " amount BIGINT NOT NULL, paid BOOLEAN NOT NULL);"
     "CREATE INDEX veh_fine_owner ON veh_fine (owner_id)",
     NULL},
    {0, NULL, NULL, NULL},
};

static const struct egov_db_migration health_migrations[] = {
    {1, "health appointments",
     "CREATE TABLE hl_hospital (code TEXT PRIMARY KEY, name TEXT NOT NULL,"
     " kind TEXT NOT NULL, district_code TEXT NOT NULL, address TEXT NOT NULL);"
     "CREATE TABLE hl_patient (national_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
     " address TEXT NOT NULL, district_code TEXT NOT NULL, updated_at BIGINT NOT NULL);"
     "CREATE TABLE hl_slot (id BIGINT PRIMARY KEY, hospital_code TEXT NOT NULL"
     " REFERENCES hl_hospital(code), slot_date TEXT NOT NULL, period TEXT NOT NULL,"
     " department TEXT NOT NULL, doctor TEXT NOT NULL, capacity BIGINT NOT NULL,"
     " booked BIGINT NOT NULL, CHECK (booked >= 0 AND booked <= capacity));"
     "CREATE INDEX hl_slot_hospital ON hl_slot (hospital_code, slot_date);"
     "CREATE TABLE hl_appointment (id TEXT PRIMARY KEY, slot_id BIGINT NOT NULL"
     " REFERENCES hl_slot(id), national_id TEXT NOT NULL, number BIGINT NOT NULL,"
     " status TEXT NOT NULL, created_at BIGINT NOT NULL, cancelled_at BIGINT);"
     "CREATE UNIQUE INDEX hl_appointment_once ON hl_appointment (slot_id, national_id)"
     " WHERE status = 'booked';"
     "CREATE INDEX hl_appointment_patient ON hl_appointment (national_id)",
     NULL},
    {0, NULL, NULL, NULL},
};

static const struct egov_db_module_migrations all[EGOV_BO_COUNT] = {
    {"bo_household", household_migrations},
    {"bo_land", land_migrations},
    {"bo_tax", tax_migrations},
    {"bo_business", business_migrations},
    {"bo_vehicle", vehicle_migrations},
    {"bo_health", health_migrations},
};

static const struct egov_db_module_migrations common = {"backoffice", common_migrations};

const struct egov_db_module_migrations *bo_migrations(enum egov_backoffice_agency agency)
{
    return (unsigned int)agency < EGOV_BO_COUNT ? &all[agency] : NULL;
}

const struct egov_db_module_migrations *bo_common_migrations(void)
{
    return &common;
}
