/*
 * proxy.c -- a call through the gateway: /r1/<service id>/<path>.
 *
 * Order of checks: identifiers and path, the calling system and its
 * signature (RFC 9421) and body digest (RFC 9530), time window, the
 * optional access token, rate limit, grant, legal basis; then, with the
 * request suspended, the message id is claimed for the cluster (replays
 * refused), the provider called over a kept-alive connection with a
 * circuit breaker per provider (forward.c), and the signed, hash-bound
 * answer prepared.  Every outcome is audited, and sent only once its
 * audit entry is committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/evp.h>

#include "auth/auth.h"
#include "authz/authz.h"
#include "gateway/gw_int.h"
#include "hanzi/hanzi.h"

#define GW_MAX_BODY     (1024u * 1024u)
#define GW_MAX_RESPONSE (8u * 1024u * 1024u)

/* ------------------------------------------------------------------ */
/* Errors in the X-Road shape                                          */
/* ------------------------------------------------------------------ */

const char *gw_error_type(enum egov_ec ec)
{
    switch (ec) {
    case EGOV_EC_GATEWAY_SERVICE_ID_INVALID:
        return "Client.InvalidServiceId";
    case EGOV_EC_GATEWAY_PATH_INVALID:
        return "Client.InvalidPath";
    case EGOV_EC_GATEWAY_SERVICE_UNKNOWN:
        return "Server.ServerProxy.UnknownService";
    case EGOV_EC_GATEWAY_CLIENT_INVALID:
        return "Client.InvalidClientId";
    case EGOV_EC_GATEWAY_CLIENT_UNKNOWN:
        return "Client.UnknownMember";
    case EGOV_EC_GATEWAY_SIGNATURE_MISSING:
        return "Client.MissingSignature";
    case EGOV_EC_GATEWAY_SIGNATURE_INVALID:
        return "Client.InvalidSignatureValue";
    case EGOV_EC_GATEWAY_DIGEST_MISMATCH:
        return "Client.InvalidMessage.Digest";
    case EGOV_EC_GATEWAY_REPLAY:
        return "Client.DuplicateMessage";
    case EGOV_EC_GATEWAY_ACCESS_DENIED:
        return "Server.ServerProxy.AccessDenied";
    case EGOV_EC_GATEWAY_LEGAL_BASIS_MISSING:
        return "Server.ServerProxy.AccessDenied.NoLegalBasis";
    case EGOV_EC_GATEWAY_RATE_LIMITED:
        return "Server.ClientProxy.RateLimited";
    case EGOV_EC_GATEWAY_PROVIDER_UNAVAILABLE:
        return "Server.ServerProxy.ServiceUnavailable";
    case EGOV_EC_GATEWAY_PROVIDER_TIMEOUT:
        return "Server.ServerProxy.ServiceTimeout";
    case EGOV_EC_GATEWAY_PROVIDER_FAILED:
        return "Server.ServerProxy.ServiceFailed";
    case EGOV_EC_GATEWAY_ENCODING_INVALID:
        return "Client.InvalidEncoding";
    case EGOV_EC_GATEWAY_TOKEN_INVALID:
        return "Client.InvalidToken";
    case EGOV_EC_GATEWAY_MESSAGE_ID_INVALID:
        return "Client.InvalidHeader";
    case EGOV_EC_GENERIC_BODY_TOO_LARGE:
        return "Client.MessageTooLarge";
    case EGOV_EC_GATEWAY_AUDIT_UNAVAILABLE:
        return "Server.ServerProxy.AuditUnavailable";
    default:
        return egov_ec_http_status(ec) < 500 ? "Client.BadRequest" : "Server.InternalError";
    }
}

void gw_reply_error(struct egov_req *req, enum egov_ec ec, const char *detail)
{
    const char *type = gw_error_type(ec);
    const char *msg = detail != NULL ? detail : egov_i18n_gettext(req->lang, egov_ec_hint(ec));
    json_t *j = json_pack("{s:s, s:s, s:s}", "type", type, "message", msg, "detail",
                          req->request_id != NULL ? req->request_id : "");
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_bytes(req, egov_ec_http_status(ec), "application/json", text, strlen(text));
    egov_reply_header(req, "X-Road-Error", type);
    free(text);
}

/* ------------------------------------------------------------------ */
/* Grant decisions, cached for a second                                 */
/* ------------------------------------------------------------------ */

#define TABLE_SLOTS 256

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned int hash_of(const char *s)
{
    return egov_str_hash(s) % TABLE_SLOTS;
}

/*
 * A consumer's grants on a service are read once a second and calls are
 * decided against them in memory: one entry per (consumer, service), not
 * per path, so calls about many different people share it.
 */
struct grant_slot {
    char key[600];
    int64_t at_us;
    struct egov_authz_grants grants;
};
static struct grant_slot grants[TABLE_SLOTS];

static enum egov_authz_decision grant_check(struct egov_db *db, const char *client,
                                            const char *service, const char *method,
                                            const char *path)
{
    char key[600];
    int n = snprintf(key, sizeof key, "%s\n%s", client, service);
    bool cacheable = n > 0 && (size_t)n < sizeof key;
    const char *p = path[0] ? path : "/";
    unsigned int h = hash_of(key);
    if (cacheable) {
        pthread_mutex_lock(&table_lock);
        if (strcmp(grants[h].key, key) == 0 && egov_mono_us() - grants[h].at_us < 1000000) {
            enum egov_authz_decision d =
                egov_authz_grants_decide(&grants[h].grants, method, p, NULL);
            pthread_mutex_unlock(&table_lock);
            return d;
        }
        pthread_mutex_unlock(&table_lock);
    }
    char ac[300], as[300];
    gw_authz_name(client, ac);
    gw_authz_name(service, as);
    struct egov_authz_grants g;
    if (egov_authz_grants_of(db, ac, as, &g) < 0)
        return EGOV_AUTHZ_ERROR;
    enum egov_authz_decision d = egov_authz_grants_decide(&g, method, p, NULL);
    if (cacheable) {
        pthread_mutex_lock(&table_lock);
        egov_authz_grants_free(&grants[h].grants);
        memcpy(grants[h].key, key, (size_t)n + 1);
        grants[h].at_us = egov_mono_us();
        grants[h].grants = g; /* the slot owns them now */
        pthread_mutex_unlock(&table_lock);
    } else {
        egov_authz_grants_free(&g);
    }
    return d;
}

/* ------------------------------------------------------------------ */
/* Outbound calls: handed to the forwarder thread (forward.c)          */
/* ------------------------------------------------------------------ */

struct fwd_resp {
    struct egov_buf body;
    char content_type[160];
    bool too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *cls)
{
    struct fwd_resp *r = cls;
    size_t len = size * n;
    if (r->body.len + len > GW_MAX_RESPONSE) {
        r->too_big = true;
        return 0;
    }
    egov_buf_append(&r->body, p, len);
    return r->body.oom ? 0 : len;
}

static size_t on_header(char *p, size_t size, size_t n, void *cls)
{
    struct fwd_resp *r = cls;
    size_t len = size * n;
    if (len > 13 && strncasecmp(p, "content-type:", 13) == 0) {
        const char *v = p + 13;
        size_t vl = len - 13;
        while (vl > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        if (vl < sizeof r->content_type) {
            memcpy(r->content_type, v, vl);
            r->content_type[vl] = '\0';
        }
    }
    return len;
}

static bool idempotent(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "PUT") == 0 ||
           strcmp(m, "DELETE") == 0 || strcmp(m, "OPTIONS") == 0;
}

/* The charset parameter of a Content-Type, lowercased, or "" (into out). */
static void charset_of(const char *ct, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *p = ct != NULL ? strcasestr(ct, "charset=") : NULL;
    if (p == NULL)
        return;
    p += 8;
    if (*p == '"')
        p++;
    size_t n = strcspn(p, "\"; ");
    if (n >= outlen)
        n = outlen - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
    out[n] = '\0';
}

static bool is_utf8_name(const char *cs)
{
    return cs[0] == '\0' || strcmp(cs, "utf-8") == 0 || strcmp(cs, "utf8") == 0;
}

/* ------------------------------------------------------------------ */
/* The call                                                            */
/* ------------------------------------------------------------------ */

/*
 * One call, in the request's arena: it outlives the handler while the
 * request is suspended.  Buffers, headers and the easy handle are released
 * by call_release(), an arena cleanup.
 */
struct call {
    struct gw_fwd_call fwd; /* first: the forwarder's view */
    struct egov_req *req;
    struct gw_audit_entry audit;
    const char *raw_query; /* "" or "a=b&c=d" re-encoded */
    const char *full_path; /* "/r1/..." */
    const char *resp_status;
    const char *resp_digest;
    const char *request_hash;
    const char *fwd_path;   /* path at the provider */
    const char *fwd_digest; /* Content-Digest sent to the provider, or NULL */
    const char *client_id, *service_id;
    const char *msgid, *user;
    struct egov_gateway_id sid, cid;
    struct gw_service svc;
    bool svc_known; /* svc was found in the registry */
    struct egov_buf fwd_body, resp_utf8, base;
    struct fwd_resp fr;
    struct curl_slist *hdrs;
    int64_t created; /* the consumer's signature time (Unix seconds) */
    int claim;       /* gw_audit_claim(): 1 first sighting, 0 replay, -1 error */
    bool audited;    /* the entry is committed */
    /* the outcome: an X-Road error, or the provider's signed answer */
    bool failed;
    enum egov_ec ec;
    const char *detail;
    unsigned int status;
    const char *rbody, *rct, *rsi, *rsg;
    size_t rlen;
};

static const char *req_component(const char *name, void *cls)
{
    struct call *k = cls;
    if (strcmp(name, "@method") == 0)
        return k->req->method;
    if (strcmp(name, "@path") == 0)
        return k->full_path;
    if (strcmp(name, "@query") == 0) /* as the consumer sent it (RFC 9421 2.2.7) */
        return egov_arena_printf(k->req->arena, "?%s",
                                 k->req->raw_query != NULL ? k->req->raw_query : "");
    if (name[0] == '@')
        return NULL;
    for (const char *p = name; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            return NULL; /* component names are lowercase */
    return egov_req_header(k->req, name);
}

static const char *fwd_component(const char *name, void *cls)
{
    struct call *k = cls;
    if (strcmp(name, "@method") == 0)
        return k->req->method;
    if (strcmp(name, "@path") == 0)
        return k->fwd_path;
    if (strcmp(name, "x-road-client") == 0)
        return k->client_id;
    if (strcmp(name, "x-road-service") == 0)
        return k->service_id;
    if (strcmp(name, "x-road-id") == 0)
        return k->audit.message_id;
    if (strcmp(name, "content-digest") == 0)
        return k->fwd_digest;
    if (strcmp(name, "@query") == 0)
        return egov_arena_printf(k->req->arena, "?%s", k->raw_query);
    return NULL;
}

static const char *resp_component(const char *name, void *cls)
{
    struct call *k = cls;
    if (strcmp(name, "@status") == 0)
        return k->resp_status;
    if (strcmp(name, "content-digest") == 0)
        return k->resp_digest;
    if (strcmp(name, "x-road-id") == 0)
        return k->audit.message_id;
    if (strcmp(name, "x-road-request-hash") == 0)
        return k->request_hash;
    return NULL;
}

struct query_acc {
    struct egov_buf *b;
    CURL *curl;
};

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    struct query_acc *q = cls;
    char *ek = curl_easy_escape(q->curl, key, 0);
    char *ev = value != NULL ? curl_easy_escape(q->curl, value, 0) : NULL;
    if (q->b->len > 0)
        egov_buf_putc(q->b, '&');
    egov_buf_puts(q->b, ek != NULL ? ek : "");
    if (value != NULL) {
        egov_buf_putc(q->b, '=');
        egov_buf_puts(q->b, ev != NULL ? ev : "");
    }
    curl_free(ek);
    curl_free(ev);
    return MHD_YES;
}

/* Re-encodes the query arguments (RFC 3986 unreserved characters kept). */
static const char *query_string(struct egov_req *req, CURL *curl)
{
    struct egov_buf b;
    egov_buf_init(&b);
    struct query_acc q = {&b, curl};
    MHD_get_connection_values(req->mhd_connection, MHD_GET_ARGUMENT_KIND, add_arg, &q);
    const char *s = egov_arena_strdup(req->arena, b.data != NULL ? b.data : "");
    egov_buf_free(&b);
    return s;
}

/* Makes an X-Road error the call's outcome (audited, then sent, by call_conclude()). */
static void fail_call(struct call *k, enum egov_ec ec, const char *detail)
{
    struct egov_req *req = k->req;
    k->audit.status = egov_ec_http_status(ec);
    k->audit.error_type = gw_error_type(ec);
    k->audit.duration_us = egov_mono_us() - req->start_us;
    k->failed = true;
    k->ec = ec;
    k->detail = detail != NULL ? egov_arena_strdup(req->arena, detail) : NULL;
}

/* Server thread: the entry is in the log (or could not be); the answer goes out. */
static void call_reply(struct egov_req *req, void *cls)
{
    struct call *k = cls;
    if (!k->audited) {
        /* no answer leaves the gateway without its audit entry */
        k->failed = true;
        k->ec = EGOV_EC_GATEWAY_AUDIT_UNAVAILABLE;
        k->detail = NULL;
    }
    unsigned int status = k->failed ? egov_ec_http_status(k->ec) : k->status;
    /* calls to services nobody registered share one line, so that made-up
     * service ids cannot crowd the registered ones out of the statistics */
    gw_stats_count(k->svc_known ? k->audit.service : "-", status, k->audit.duration_us);
    if (k->failed) {
        gw_reply_error(req, k->ec, k->detail);
        return;
    }
    egov_reply_bytes(req, k->status, k->rct, k->rbody, k->rlen);
    egov_reply_header(req, "X-Road-Client", k->cid.text);
    egov_reply_header(req, "X-Road-Service", k->sid.text);
    egov_reply_header(req, "X-Road-Id", k->msgid);
    if (k->user != NULL)
        egov_reply_header(req, "X-Road-UserId", k->user);
    egov_reply_header(req, "X-Road-Request-Id", req->request_id);
    egov_reply_header(req, "X-Road-Request-Hash", k->request_hash);
    egov_reply_header(req, "Content-Digest", k->resp_digest);
    egov_reply_header(req, "Signature-Input", k->rsi);
    egov_reply_header(req, "Signature", k->rsg);
}

/* Writer thread: the call's entry is committed (or not). */
static void audit_done(void *cls, bool written)
{
    struct call *k = cls;
    k->audited = written;
    egov_req_resume(k->req);
}

/* Server thread, the request suspended: queue the entry. */
static void audit_start(struct egov_req *req, void *cls)
{
    (void)req;
    struct call *k = cls;
    gw_audit_record_then(&k->audit, audit_done, k);
}

/*
 * Ends a call: its entry is queued and the answer waits, suspended, for
 * the entry's commit.  A body refused before it was read cannot wait
 * (the connection still has it on the wire): that refusal is queued and
 * sent at once.
 */
static void call_conclude(struct call *k)
{
    if (k->req->body_too_large) {
        gw_audit_record(&k->audit);
        k->audited = true;
        call_reply(k->req, k);
        return;
    }
    egov_req_suspend(k->req, audit_start, call_reply, k);
}

static bool header_value_ok(const char *v, size_t max)
{
    size_t n = v != NULL ? strlen(v) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
            return false;
    return true;
}

/* A national id or resident number in @p path (the data subject), or NULL. */
static const char *data_subject(struct egov_arena *a, const char *path, const char *body)
{
    const char *srcs[2] = {path, body};
    for (int s = 0; s < 2; s++) {
        const char *p = srcs[s];
        if (p == NULL)
            continue;
        for (; *p; p++) {
            if (!(p[0] >= 'A' && p[0] <= 'Z'))
                continue;
            if (p != srcs[s] && ((p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9')))
                continue;
            bool ok = p[1] == '1' || p[1] == '2' || p[1] == '8' || p[1] == '9' ||
                      (p[1] >= 'A' && p[1] <= 'D');
            for (int i = 2; ok && i < 10; i++)
                ok = p[i] >= '0' && p[i] <= '9';
            if (ok && !(p[10] >= '0' && p[10] <= '9') && !(p[10] >= 'A' && p[10] <= 'Z'))
                return egov_arena_strndup(a, p, 10);
        }
    }
    return NULL;
}

static void call_release(void *p)
{
    struct call *k = p;
    curl_slist_free_all(k->hdrs);
    k->hdrs = NULL;
    gw_fwd_easy_put(k->fwd.easy);
    k->fwd.easy = NULL;
    egov_buf_free(&k->fwd_body);
    egov_buf_free(&k->resp_utf8);
    egov_buf_free(&k->base);
    egov_buf_free(&k->fr.body);
}

/* Forwarder thread: before a retry, forget the failed attempt's answer. */
static void call_reset(struct gw_fwd_call *f)
{
    struct call *k = (struct call *)f;
    egov_buf_reset(&k->fr.body);
    k->fr.content_type[0] = '\0';
    k->fr.too_big = false;
}

static void call_outcome(struct egov_req *req, struct call *k);

/*
 * Forwarder or writer thread, the request still suspended: the outcome
 * is made and its audit entry queued; the request resumes only when the
 * entry is committed (audit_done), and a server thread then sends the
 * answer (call_reply).  Nothing here touches the connection.
 */
static void call_settle(struct call *k)
{
    call_outcome(k->req, k);
    gw_audit_record_then(&k->audit, audit_done, k);
}

/* Forwarder thread: the transfer is over. */
static void call_done(struct gw_fwd_call *f)
{
    call_settle((struct call *)f);
}

/* Writer thread: the message id is claimed (or not) for the cluster. */
static void call_claimed(void *cls, int result)
{
    struct call *k = cls;
    k->claim = result;
    if (result == 1)
        gw_fwd_submit(&k->fwd);
    else
        call_settle(k);
}

/* Server thread, right after the request was suspended: claim, then forward. */
static void call_start(struct egov_req *req, void *cls)
{
    (void)req;
    struct call *k = cls;
    gw_audit_claim(k->cid.text, k->msgid, k->created + (int64_t)gw_settings.clock_skew_s + 1,
                   call_claimed, k);
}

/* The provider's answer (or its absence, or a refused claim) becomes the call's outcome. */
static void call_outcome(struct egov_req *req, struct call *k)
{
    char why[200];
    if (k->claim != 1) {
        if (k->claim == 0)
            fail_call(k, EGOV_EC_GATEWAY_REPLAY,
                      "a message with this X-Road-Id was already received");
        else
            fail_call(k, EGOV_EC_DB_UNREACHABLE, NULL);
        return;
    }
    CURLcode cc = k->fwd.result;
    long status = 0;
    if (cc != CURLE_OK) {
        gw_breaker_report(k->svc.base_url, false);
        if (cc == CURLE_OPERATION_TIMEDOUT)
            fail_call(k, EGOV_EC_GATEWAY_PROVIDER_TIMEOUT, NULL);
        else if (k->fr.too_big)
            fail_call(k, EGOV_EC_GATEWAY_PROVIDER_FAILED, "the provider's answer is too large");
        else {
            snprintf(why, sizeof why, "the provider could not be reached: %s",
                     curl_easy_strerror(cc));
            fail_call(k, EGOV_EC_GATEWAY_PROVIDER_FAILED, why);
        }
        return;
    }
    curl_easy_getinfo(k->fwd.easy, CURLINFO_RESPONSE_CODE, &status);
    gw_breaker_report(k->svc.base_url, status < 500);

    /* 9. transcode the answer to UTF-8 */
    char cs[32];
    charset_of(k->fr.content_type, cs, sizeof cs);
    const char *rbody = k->fr.body.data != NULL ? k->fr.body.data : "";
    size_t rlen = k->fr.body.len;
    const char *rct = k->fr.content_type[0] ? k->fr.content_type : "application/octet-stream";
    if (!is_utf8_name(cs)) {
        const struct egov_hanzi_encoding *renc = egov_hanzi_encoding_by_name(cs);
        const struct egov_hanzi_encoding *utf8 = egov_hanzi_encoding_by_name("utf-8");
        struct egov_hanzi_error herr;
        if (renc == NULL || utf8 == NULL ||
            !egov_hanzi_convert(renc, utf8, EGOV_HANZI_STRICT, rbody, rlen, &k->resp_utf8, &herr)) {
            snprintf(why, sizeof why,
                     "the provider's answer is not valid in its declared code \"%s\"", cs);
            fail_call(k, EGOV_EC_GATEWAY_PROVIDER_FAILED, why);
            return;
        }
        rbody = k->resp_utf8.data != NULL ? k->resp_utf8.data : "";
        rlen = k->resp_utf8.len;
        size_t base_len = strcspn(rct, ";");
        rct = egov_arena_printf(req->arena, "%.*s; charset=utf-8", (int)base_len, rct);
    }

    /* 10. the signed, bound answer */
    char rdg[64];
    gw_content_digest(rbody, rlen, rdg);
    k->resp_digest = egov_arena_strdup(req->arena, rdg);
    k->resp_status = egov_arena_printf(req->arena, "%ld", status);
    static const char *const rcomp[] = {"@status", "content-digest", "x-road-id",
                                        "x-road-request-hash"};
    const char *rsi = NULL, *rsg = NULL;
    if (status < 100 || status > 599 || rct == NULL || k->resp_digest == NULL ||
        !gw_sign(req->arena, rcomp, 4, resp_component, k, &rsi, &rsg)) {
        fail_call(k, EGOV_EC_GATEWAY_PROVIDER_FAILED, "the provider's answer could not be signed");
        return;
    }
    k->status = (unsigned int)status;
    k->rbody = rbody;
    k->rlen = rlen;
    k->rct = rct;
    k->rsi = rsi;
    k->rsg = rsg;
    k->audit.status = (unsigned int)status;
    k->audit.resp_size = (int64_t)rlen;
    k->audit.resp_hash = k->resp_digest;
    k->audit.resp_body = rbody;
    k->audit.resp_body_len = rlen;
    k->audit.duration_us = egov_mono_us() - req->start_us;
}

/*
 * Server thread: every check, then the outbound request is prepared and
 * the call suspended.  Returns true when the call goes out; false when it
 * was answered here (an error, audited).
 */
static bool call_prepare(struct call *k)
{
    struct egov_req *req = k->req;
    char why[200];
    struct gw_client *client = NULL;
    bool sent = false;
    k->full_path = req->path;
    k->audit.request_id = req->request_id;
    k->audit.method = req->method;
    k->audit.path = req->path;
    k->audit.req_size = (int64_t)req->body_len;
    k->audit.req_body = req->body;
    k->audit.req_body_len = req->body_len;
    const char *client_hdr = egov_req_header(req, "X-Road-Client");
    const char *msgid = egov_req_header(req, "X-Road-Id");
    const char *user = egov_req_header(req, "X-Road-UserId");
    k->msgid = msgid;
    k->user = user;
    k->audit.client = client_hdr != NULL && strlen(client_hdr) < 256 ? client_hdr : "";
    k->audit.message_id = msgid != NULL && strlen(msgid) <= 128 ? msgid : "";
    k->audit.user_id = user != NULL && strlen(user) <= 64 ? user : "";
    k->audit.service = "";
    k->audit.req_hash = "";
    k->audit.resp_hash = "";
    k->audit.error_type = "";
    k->audit.subject = "";
    if (req->body_too_large) {
        /* refused by the http layer before the body was read; "-" keeps the audited size honest */
        const char *cl = egov_req_header(req, "Content-Length");
        k->audit.req_size = cl != NULL ? strtoll(cl, NULL, 10) : -1;
    }

    CURL *curl = gw_fwd_easy_get();
    if (curl == NULL) {
        fail_call(k, EGOV_EC_GENERIC_OOM, NULL);
        goto done;
    }
    k->fwd.easy = curl;
    k->raw_query = query_string(req, curl);

    /* 1. identifiers */
    struct egov_gateway_id *sid = &k->sid, *cid = &k->cid;
    const char *rest = NULL;
    enum egov_ec ec = egov_gateway_service_id_parse(strlen(req->path) >= 4 ? req->path + 4 : "",
                                                    sid, &rest, why, sizeof why);
    if (ec != EGOV_EC_NONE) {
        fail_call(k, ec, why);
        goto done;
    }
    k->audit.service = egov_arena_strdup(req->arena, sid->text);
    if (req->body_too_large || req->body_len > GW_MAX_BODY) {
        fail_call(k, EGOV_EC_GENERIC_BODY_TOO_LARGE, NULL);
        goto done;
    }
    if ((ec = egov_gateway_path_check(rest, why, sizeof why)) != EGOV_EC_NONE) {
        fail_call(k, ec, why);
        goto done;
    }
    const char *subject = data_subject(req->arena, rest, req->body);
    if (subject != NULL)
        k->audit.subject = subject;
    if ((ec = egov_gateway_member_id_parse(client_hdr, cid, why, sizeof why)) != EGOV_EC_NONE) {
        fail_call(k, ec, why);
        goto done;
    }
    if (!header_value_ok(msgid, 128)) {
        fail_call(k, EGOV_EC_GATEWAY_MESSAGE_ID_INVALID,
                  "X-Road-Id must be 1 to 128 printable ASCII characters without spaces");
        goto done;
    }
    if (user != NULL && !header_value_ok(user, 64)) {
        fail_call(k, EGOV_EC_GATEWAY_MESSAGE_ID_INVALID,
                  "X-Road-UserId must be 1 to 64 printable ASCII characters without spaces");
        goto done;
    }

    /* 2. the service and the calling system */
    struct egov_db *db = egov_req_db(req);
    struct gw_service *svc = &k->svc;
    int f = gw_service_get(db, sid->text, svc);
    if (f < 0) {
        fail_call(k, EGOV_EC_DB_UNREACHABLE, NULL);
        goto done;
    }
    if (f == 0) {
        fail_call(k, EGOV_EC_GATEWAY_SERVICE_UNKNOWN, NULL);
        goto done;
    }
    k->svc_known = true;
    f = gw_client_get(db, cid->text, &client);
    if (f < 0) {
        fail_call(k, EGOV_EC_DB_UNREACHABLE, NULL);
        goto done;
    }
    if (f == 0) {
        fail_call(k, EGOV_EC_GATEWAY_CLIENT_UNKNOWN, NULL);
        goto done;
    }

    if (client->cert_problem[0] != '\0') {
        fail_call(k, EGOV_EC_GATEWAY_SIGNATURE_INVALID, client->cert_problem);
        goto done;
    }
    /* 3. signature and digest */
    const char *si = egov_req_header(req, "Signature-Input");
    const char *sg = egov_req_header(req, "Signature");
    if (si == NULL || sg == NULL) {
        fail_call(k, EGOV_EC_GATEWAY_SIGNATURE_MISSING, NULL);
        goto done;
    }
    struct gw_sig_input in;
    if (!gw_sig_input_parse(si, &in, req->arena, why, sizeof why)) {
        fail_call(k, EGOV_EC_GATEWAY_SIGNATURE_INVALID, why);
        goto done;
    }
    if (strcmp(in.keyid, cid->text) != 0) {
        fail_call(k, EGOV_EC_GATEWAY_SIGNATURE_INVALID,
                  "the signature's keyid is not the X-Road-Client");
        goto done;
    }
    enum egov_sigkey_alg sig_alg =
        in.alg[0] != '\0' ? egov_sigkey_alg_parse(in.alg) : egov_sigkey_alg(client->key);
    if (!egov_sigkey_alg_fits(client->key, sig_alg)) {
        fail_call(k, EGOV_EC_GATEWAY_SIGNATURE_INVALID,
                  "the signature's alg is not the algorithm of the registered key");
        goto done;
    }
    {
        static const char *const need[] = {"@method", "@path", "x-road-client", "x-road-id"};
        const char *want[8];
        size_t nw = 0;
        for (size_t i = 0; i < 4; i++)
            want[nw++] = need[i];
        if (req->raw_query != NULL && req->raw_query[0] != '\0')
            want[nw++] = "@query";
        if (req->body_len > 0)
            want[nw++] = "content-digest";
        if (user != NULL)
            want[nw++] = "x-road-userid";
        for (size_t i = 0; i < nw; i++) {
            bool have = false;
            for (unsigned int j = 0; j < in.ncomponents && !have; j++)
                have = strcmp(in.components[j], want[i]) == 0;
            if (!have) {
                snprintf(why, sizeof why, "the signature must cover \"%s\"", want[i]);
                fail_call(k, EGOV_EC_GATEWAY_SIGNATURE_INVALID, why);
                goto done;
            }
        }
    }
    if (req->body_len > 0) {
        char dg[64];
        gw_content_digest(req->body, req->body_len, dg);
        const char *cd = egov_req_header(req, "Content-Digest");
        if (cd == NULL || strstr(cd, dg) == NULL) {
            fail_call(k, EGOV_EC_GATEWAY_DIGEST_MISMATCH, NULL);
            goto done;
        }
    }
    (void)egov_buf_reserve(&k->base, 1024);
    if (!gw_sig_base(&in, req_component, k, &k->base, why, sizeof why)) {
        fail_call(k, EGOV_EC_GATEWAY_SIGNATURE_INVALID, why);
        goto done;
    }
    {
        uint8_t sig[EGOV_SIGKEY_MAX_SIG];
        long sl = gw_signature_decode(sg, sig);
        if (sl <= 0 || !egov_sigkey_verify_alg(client->key, sig_alg, k->base.data, k->base.len, sig,
                                               (size_t)sl)) {
            fail_call(k, EGOV_EC_GATEWAY_SIGNATURE_INVALID, NULL);
            goto done;
        }
        uint8_t h[EGOV_SHA256_LEN];
        unsigned char b64[48];
        egov_sha256(k->base.data, k->base.len, h);
        EVP_EncodeBlock(b64, h, EGOV_SHA256_LEN);
        k->request_hash = egov_arena_strdup(req->arena, (const char *)b64);
        k->audit.req_hash = k->request_hash;
    }
    /* 4. replay */
    int64_t now_s = egov_now_us() / 1000000;
    if (in.created > now_s + (int64_t)gw_settings.clock_skew_s ||
        in.created < now_s - (int64_t)gw_settings.clock_skew_s) {
        fail_call(k, EGOV_EC_GATEWAY_REPLAY,
                  "the signature was created outside the accepted time window");
        goto done;
    }
    /* the message id is claimed for the whole cluster once the call is suspended (call_start) */
    k->created = in.created;
    /* 5. access token (client credentials), when presented */
    const char *authz_hdr = egov_req_header(req, "Authorization");
    if (authz_hdr != NULL) {
        struct egov_auth_claims claims;
        if (strncasecmp(authz_hdr, "Bearer ", 7) != 0) {
            fail_call(k, EGOV_EC_GATEWAY_TOKEN_INVALID, "only Bearer tokens are accepted");
            goto done;
        }
        enum egov_auth_status as = egov_auth_token_verify(db, authz_hdr + 7, &claims);
        if (as == EGOV_AUTH_ERROR) {
            fail_call(k, EGOV_EC_DB_UNREACHABLE, NULL);
            goto done;
        }
        if (as != EGOV_AUTH_OK || client->oauth_client[0] == '\0' ||
            strcmp(claims.client_id, client->oauth_client) != 0) {
            fail_call(k, EGOV_EC_GATEWAY_TOKEN_INVALID,
                      as == EGOV_AUTH_EXPIRED ? "the access token has expired" : NULL);
            goto done;
        }
    }
    /* 6. rate, grant, legal basis */
    if (!gw_rate_take(cid->text, client->rate_per_s)) {
        fail_call(k, EGOV_EC_GATEWAY_RATE_LIMITED, NULL);
        goto done;
    }
    const char *spath = rest[0] ? rest : "/";
    enum egov_authz_decision d = grant_check(db, cid->text, sid->text, req->method, spath);
    if (d == EGOV_AUTHZ_ERROR) {
        fail_call(k, EGOV_EC_DB_UNREACHABLE, NULL);
        goto done;
    }
    if (d != EGOV_AUTHZ_ALLOW) {
        fail_call(k, EGOV_EC_GATEWAY_ACCESS_DENIED, NULL);
        goto done;
    }
    if (svc->personal_data) {
        int ok = gw_legal_basis_ok(db, cid->text, sid->text, subject);
        if (ok < 0) {
            fail_call(k, EGOV_EC_DB_UNREACHABLE, NULL);
            goto done;
        }
        if (ok == 0) {
            fail_call(k, EGOV_EC_GATEWAY_LEGAL_BASIS_MISSING, NULL);
            goto done;
        }
    }

    /* 7. transcode the request body into the provider's code */
    const char *out_body = req->body;
    size_t out_len = req->body_len;
    bool legacy = !is_utf8_name(svc->charset);
    const struct egov_hanzi_encoding *enc = NULL, *utf8 = NULL;
    if (legacy) {
        enc = egov_hanzi_encoding_by_name(svc->charset);
        utf8 = egov_hanzi_encoding_by_name("utf-8");
        if (enc == NULL || utf8 == NULL) {
            fail_call(k, EGOV_EC_GATEWAY_PROVIDER_FAILED,
                      "the provider's character code is not available on this node");
            goto done;
        }
    }
    if (legacy && req->body_len > 0) {
        struct egov_hanzi_error herr;
        if (!egov_utf8_valid(req->body, req->body_len, NULL) ||
            !egov_hanzi_convert(utf8, enc, EGOV_HANZI_STRICT, req->body, req->body_len,
                                &k->fwd_body, &herr)) {
            fail_call(k, EGOV_EC_GATEWAY_ENCODING_INVALID,
                      "the request body is not valid UTF-8 or has characters the provider's "
                      "code cannot hold");
            goto done;
        }
        out_body = k->fwd_body.data;
        out_len = k->fwd_body.len;
    }

    /* 8. the outbound request */
    if (!gw_breaker_allow(svc->base_url)) {
        fail_call(k, EGOV_EC_GATEWAY_PROVIDER_UNAVAILABLE, NULL);
        goto done;
    }
    const char *url = egov_arena_printf(req->arena, "%s%s%s%s", svc->base_url, rest,
                                        k->raw_query[0] ? "?" : "", k->raw_query);
    const char *ct = egov_req_header(req, "Content-Type");
    char h1[400];
#define ADD_HDR(...)                                                                               \
    do {                                                                                           \
        snprintf(h1, sizeof h1, __VA_ARGS__);                                                      \
        struct curl_slist *t_ = curl_slist_append(k->hdrs, h1);                                    \
        if (t_ == NULL)                                                                            \
            goto oom;                                                                              \
        k->hdrs = t_;                                                                              \
    } while (0)
    ADD_HDR("X-Road-Client: %s", cid->text);
    ADD_HDR("X-Road-Service: %s", sid->text);
    ADD_HDR("X-Road-Id: %s", msgid);
    ADD_HDR("X-Request-Id: %s", req->request_id);
    if (user != NULL)
        ADD_HDR("X-Road-UserId: %s", user);
    const char *accept = egov_req_header(req, "Accept");
    if (accept != NULL && strlen(accept) < 200)
        ADD_HDR("Accept: %s", accept);
    if (out_len > 0 || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0) {
        if (legacy)
            ADD_HDR("Content-Type: application/json; charset=%s", svc->charset);
        else if (ct != NULL && strlen(ct) < 200)
            ADD_HDR("Content-Type: %s", ct);
        char dg[64];
        gw_content_digest(out_body != NULL ? out_body : "", out_len, dg);
        ADD_HDR("Content-Digest: %s", dg);
        k->fwd_digest = egov_arena_strdup(req->arena, dg);
    }
    {
        /* the gateway signs what it sends, under the providing system's secret (provider.c) */
        const char *hp = strstr(svc->base_url, "://");
        const char *prefix = hp != NULL ? strchr(hp + 3, '/') : NULL;
        k->fwd_path = egov_arena_printf(req->arena, "%s%s", prefix != NULL ? prefix : "",
                                        rest[0] ? rest : (prefix != NULL ? "" : "/"));
        k->client_id = cid->text;
        k->service_id = sid->text;
        const char *fc[7] = {"@method", "@path", "x-road-client", "x-road-service", "x-road-id"};
        size_t nfc = 5;
        if (k->raw_query[0] != '\0')
            fc[nfc++] = "@query";
        if (k->fwd_digest != NULL)
            fc[nfc++] = "content-digest";
        const char *fsi = NULL, *fsg = NULL;
        char system[300];
        uint8_t secret[32];
        snprintf(system, sizeof system, "TW/GOV/%s/%s", sid->agency, sid->subsystem);
        bool ok = k->fwd_path != NULL && gw_provider_secret(system, secret) &&
                  gw_sign_hmac(req->arena, fc, nfc, fwd_component, k, secret, &fsi, &fsg);
        egov_wipe(secret, sizeof secret);
        if (!ok)
            goto oom;
        ADD_HDR("Signature-Input: %s", fsi);
        ADD_HDR("Signature: %s", fsg);
    }
    ADD_HDR("Expect:");
#undef ADD_HDR
    if (url == NULL)
        goto oom;
    unsigned int timeout = svc->timeout_ms ? svc->timeout_ms : gw_settings.timeout_ms;
    k->fwd.deadline_us = egov_mono_us() + (int64_t)timeout * 1000;
    k->fwd.idempotent = idempotent(req->method);
    k->fwd.reset = call_reset;
    k->fwd.done = call_done;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, k->hdrs);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &k->fr);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &k->fr);
    if (strcmp(req->method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    else if (out_len > 0 || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
             strcmp(req->method, "PATCH") == 0) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, out_body != NULL ? out_body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)out_len);
    }
    sent = true;
    goto done;
oom:
    fail_call(k, EGOV_EC_GENERIC_OOM, NULL);
done:
    gw_client_put(client);
    return sent;
}

void gw_handle_call(struct egov_req *req)
{
    struct call *k = egov_arena_alloc(req->arena, sizeof *k);
    if (k == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    memset(k, 0, sizeof *k);
    k->req = req;
    egov_buf_init(&k->fwd_body);
    egov_buf_init(&k->resp_utf8);
    egov_buf_init(&k->base);
    egov_buf_init(&k->fr.body);
    if (!egov_arena_add_cleanup(req->arena, call_release, k)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    if (call_prepare(k))
        egov_req_suspend(req, call_start, call_reply, k);
    else
        call_conclude(k);
}

bool gw_proxy_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK && gw_fwd_start();
}

void gw_proxy_fini(void)
{
    gw_fwd_stop();
    curl_global_cleanup();
    pthread_mutex_lock(&table_lock);
    for (unsigned int i = 0; i < TABLE_SLOTS; i++) {
        egov_authz_grants_free(&grants[i].grants);
        grants[i].key[0] = '\0';
    }
    pthread_mutex_unlock(&table_lock);
}
