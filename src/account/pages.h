/*
 * pages.h -- the page handlers of the account module and what they
 * share.  Internal; the route table is in routes.c.
 */
#ifndef EGOV_ACCOUNT_PAGES_H
#define EGOV_ACCOUNT_PAGES_H

#include "account/account_int.h"

/** The local return_to of the query (or of @p form if not NULL); "/" if absent or unsafe. */
const char *account_return_to(struct egov_req *req, const json_t *form);
/** Adds the CSRF token and return_to to @p data (stolen) and renders @p tmpl. */
void account_render(struct egov_req *req, unsigned int status, const char *tmpl, const char *title,
                    json_t *data, const char *return_to);
/** The session as the JSON API shows it (new reference). */
json_t *account_session_json(const struct egov_account_session *s);
/** Lower-cases a recovery code and drops '-' and spaces. */
void account_recovery_normalise(const char *in, char *out, size_t outlen);
/** The stored hash of a normalised recovery code of @p account_id. */
void account_recovery_hash(const char *account_id, const char *normalised, char out[65]);

/* pages_login.c */
void account_handle_login_get(struct egov_req *req);
void account_handle_login_post(struct egov_req *req);
void account_handle_otp_get(struct egov_req *req);
void account_handle_otp_post(struct egov_req *req);
void account_handle_logout_get(struct egov_req *req);
void account_handle_logout_post(struct egov_req *req);
void account_handle_session_api(struct egov_req *req);
/* pages_register.c */
void account_handle_register_get(struct egov_req *req);
void account_handle_register_post(struct egov_req *req);
void account_handle_verify_get(struct egov_req *req);
void account_handle_verify_post(struct egov_req *req);
void account_handle_reset_get(struct egov_req *req);
void account_handle_reset_post(struct egov_req *req);
void account_handle_reset_confirm_get(struct egov_req *req);
void account_handle_reset_confirm_post(struct egov_req *req);
void account_handle_mailbox(struct egov_req *req);
/* pages_account.c */
void account_handle_account_get(struct egov_req *req);
void account_handle_session_revoke(struct egov_req *req);
void account_handle_totp_start(struct egov_req *req);
void account_handle_totp_confirm(struct egov_req *req);
void account_handle_totp_disable(struct egov_req *req);
void account_handle_recovery(struct egov_req *req);
void account_handle_deactivate(struct egov_req *req);
void account_handle_password(struct egov_req *req);
/** Renders the account page of @p s with an optional @p notice or @p error (msgids). */
void account_page_show(struct egov_req *req, const struct egov_account_session *s,
                       unsigned int status, const char *notice, const char *error);
/* pages_phone.c */
void account_handle_phone_start(struct egov_req *req);
void account_handle_phone_confirm(struct egov_req *req);
/* pages_authz.c */
void account_handle_authz_get(struct egov_req *req);
void account_handle_authz_role(struct egov_req *req);
void account_handle_authz_assign(struct egov_req *req);
void account_handle_authz_admin(struct egov_req *req);
void account_handle_authz_grant(struct egov_req *req);
void account_handle_authz_revoke(struct egov_req *req);

#endif /* EGOV_ACCOUNT_PAGES_H */
