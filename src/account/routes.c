/*
 * routes.c -- the account module's route table (handlers in pages_*.c).
 */
#include "account/pages.h"

#define FORM EGOV_ROUTE_FORM_BODY

static const struct egov_route routes[] = {
    {EGOV_M_GET, "/login", account_handle_login_get, 0, 0, "login"},
    {EGOV_M_POST, "/login", account_handle_login_post, 8192, FORM, "login"},
    {EGOV_M_GET, "/login/otp", account_handle_otp_get, 0, 0, "login-otp"},
    {EGOV_M_POST, "/login/otp", account_handle_otp_post, 4096, FORM, "login-otp"},
    {EGOV_M_GET, "/logout", account_handle_logout_get, 0, 0, "logout"},
    {EGOV_M_POST, "/logout", account_handle_logout_post, 4096, FORM, "logout"},
    {EGOV_M_GET, "/api/account/session", account_handle_session_api, 0, 0, "account-session"},
    {EGOV_M_GET, "/register", account_handle_register_get, 0, 0, "register"},
    {EGOV_M_POST, "/register", account_handle_register_post, 8192, FORM, "register"},
    {EGOV_M_GET, "/register/verify", account_handle_verify_get, 0, 0, "register-verify"},
    {EGOV_M_POST, "/register/verify", account_handle_verify_post, 4096, FORM, "register-verify"},
    {EGOV_M_GET, "/password/reset", account_handle_reset_get, 0, 0, "password-reset"},
    {EGOV_M_POST, "/password/reset", account_handle_reset_post, 4096, FORM, "password-reset"},
    {EGOV_M_GET, "/password/reset/confirm", account_handle_reset_confirm_get, 0, 0,
     "password-reset-confirm"},
    {EGOV_M_POST, "/password/reset/confirm", account_handle_reset_confirm_post, 8192, FORM,
     "password-reset-confirm"},
    {EGOV_M_GET, "/dev/mailbox", account_handle_mailbox, 0, 0, "dev-mailbox"},
    {EGOV_M_GET, "/account", account_handle_account_get, 0, 0, "account"},
    {EGOV_M_POST, "/account/sessions/revoke", account_handle_session_revoke, 4096, FORM,
     "account-session-revoke"},
    {EGOV_M_POST, "/account/totp/start", account_handle_totp_start, 4096, FORM,
     "account-totp-start"},
    {EGOV_M_POST, "/account/totp/confirm", account_handle_totp_confirm, 4096, FORM,
     "account-totp-confirm"},
    {EGOV_M_POST, "/account/totp/disable", account_handle_totp_disable, 4096, FORM,
     "account-totp-disable"},
    {EGOV_M_POST, "/account/recovery", account_handle_recovery, 4096, FORM, "account-recovery"},
    {EGOV_M_POST, "/account/password", account_handle_password, 8192, FORM, "account-password"},
    {EGOV_M_POST, "/account/deactivate", account_handle_deactivate, 4096, FORM,
     "account-deactivate"},
    {EGOV_M_POST, "/account/phone", account_handle_phone_start, 4096, FORM, "account-phone"},
    {EGOV_M_POST, "/account/phone/confirm", account_handle_phone_confirm, 4096, FORM,
     "account-phone-confirm"},
    {EGOV_M_GET, "/authz", account_handle_authz_get, 0, 0, "authz-admin"},
    {EGOV_M_POST, "/authz/roles", account_handle_authz_role, 16384, FORM, "authz-admin-roles"},
    {EGOV_M_POST, "/authz/assign", account_handle_authz_assign, 4096, FORM, "authz-admin-assign"},
    {EGOV_M_POST, "/authz/admins", account_handle_authz_admin, 4096, FORM, "authz-admin-admins"},
    {EGOV_M_POST, "/authz/grants", account_handle_authz_grant, 4096, FORM, "authz-admin-grants"},
    {EGOV_M_POST, "/authz/grants/revoke", account_handle_authz_revoke, 4096, FORM,
     "authz-admin-revoke"},
    EGOV_ROUTE_END,
};

const struct egov_route_table account_routes = {"account", routes};
