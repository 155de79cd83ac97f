-- bench/gateway-sign.lua -- a wrk script for bench/gateway.sh: every request
-- is a fresh X-Road r1 call signed with Ed25519 (RFC 9421) through
-- OpenSSL's libcrypto via LuaJIT's FFI, with a unique X-Road-Id, as a real
-- consumer system would send it.
-- Arguments (after --): KEY_FILE CLIENT_ID PATH [ALG [PRESIGN [BARRIER_DIR THREADS]]]
-- PATH "@FILE" names a file of paths, one per line, used in turn.
-- ALG is "ed25519" (default), "ecdsa-p256-sha256" (raw r||s signature),
-- "rsa-v1_5-sha256" or "rsa-pss-sha512" (MGF1 SHA-512, 64-byte salt).
-- PRESIGN (default 0): each wrk thread signs this many requests in init(),
-- before the clock starts, and sends those first; signing then happens
-- outside the measured window, as it does on a real consumer's own
-- machine.  When they run out, requests are signed as they are sent.
-- wrk runs each thread's init() in turn and starts a thread as soon as
-- its init() is done, and it starts its clock only after the last init().
-- With BARRIER_DIR every thread holds its first requests (wrk's delay())
-- until one common moment: the first thread, having timed its own
-- signing, writes to BARRIER_DIR/start when the other THREADS-1 threads
-- will be done, and the others take that moment (or the end of their own
-- signing, if later).  Otherwise the first thread's calls during the
-- others' signing would count towards a shorter measured time.  The
-- moment is estimated on the late side, which can only lower the rate.
local ffi = require("ffi")
ffi.cdef [[
typedef struct bio_st BIO;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_md_ctx_st EVP_MD_CTX;
BIO *BIO_new_mem_buf(const void *buf, int len);
int BIO_free(BIO *a);
EVP_PKEY *PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x, void *cb, void *u);
EVP_MD_CTX *EVP_MD_CTX_new(void);
int EVP_DigestSignInit(EVP_MD_CTX *ctx, void **pctx, const void *type, void *e, EVP_PKEY *pkey);
int EVP_DigestSign(EVP_MD_CTX *ctx, unsigned char *sig, size_t *siglen,
                   const unsigned char *tbs, size_t tbslen);
int EVP_EncodeBlock(unsigned char *t, const unsigned char *f, int n);
typedef struct evp_md_st EVP_MD;
typedef struct ecdsa_sig_st ECDSA_SIG;
typedef struct bignum_st BIGNUM;
const EVP_MD *EVP_sha256(void);
ECDSA_SIG *d2i_ECDSA_SIG(ECDSA_SIG **sig, const unsigned char **pp, long len);
void ECDSA_SIG_get0(const ECDSA_SIG *sig, const BIGNUM **pr, const BIGNUM **ps);
void ECDSA_SIG_free(ECDSA_SIG *sig);
int BN_bn2binpad(const BIGNUM *a, unsigned char *to, int tolen);
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;
const EVP_MD *EVP_sha512(void);
int EVP_PKEY_CTX_set_rsa_padding(EVP_PKEY_CTX *ctx, int pad_mode);
int EVP_PKEY_CTX_set_rsa_pss_saltlen(EVP_PKEY_CTX *ctx, int saltlen);
int EVP_PKEY_CTX_set_rsa_mgf1_md(EVP_PKEY_CTX *ctx, const EVP_MD *md);
]]
local C = ffi.load("libcrypto.so.3")

ffi.cdef [[
struct egov_timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clk, struct egov_timespec *ts);
]]
local tsbuf = ffi.new("struct egov_timespec")
-- wall-clock seconds with a fraction (CLOCK_REALTIME: shared by the threads)
function now_s()
  ffi.C.clock_gettime(0, tsbuf)
  return tonumber(tsbuf.tv_sec) + tonumber(tsbuf.tv_nsec) / 1e9
end

local thread_no = 0
function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
end

local key, ctx, client, path, counter, stamp, alg, ecdsa
local sig = ffi.new("unsigned char[520]")
local pctx = ffi.new("EVP_PKEY_CTX *[1]")
local rs = ffi.new("unsigned char[64]")
local pp = ffi.new("const unsigned char *[1]")
local pr = ffi.new("const BIGNUM *[1]")
local ps = ffi.new("const BIGNUM *[1]")
local siglen = ffi.new("size_t[1]")
local b64 = ffi.new("unsigned char[700]")

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local pem = f:read("*a")
  f:close()
  local bio = C.BIO_new_mem_buf(pem, #pem)
  key = C.PEM_read_bio_PrivateKey(bio, nil, nil, nil)
  C.BIO_free(bio)
  assert(key ~= nil, "cannot read the private key")
  ctx = C.EVP_MD_CTX_new()
  client = args[2]
  paths, npaths = {}, 0
  if string.sub(args[3], 1, 1) == "@" then
    for line in io.lines(string.sub(args[3], 2)) do
      if line ~= "" then
        npaths = npaths + 1
        paths[npaths] = line
      end
    end
  else
    npaths = 1
    paths[1] = args[3]
  end
  alg = args[4] or "ed25519"
  ecdsa = alg == "ecdsa-p256-sha256"
  counter = 0
  stamp = tostring(os.time()) .. "-" .. tostring(tid or 0) .. "-" .. tostring(math.random(1e9))
  presigned = {}
  next_presigned = 1
  local t0 = now_s()
  for i = 1, tonumber(args[5] or "0") do
    presigned[i] = sign_one()
  end
  local took = now_s() - t0
  barrier = args[6]
  nthreads = tonumber(args[7] or "1")
  start_at = 0
  if barrier ~= nil then
    local f = io.open(barrier .. "/start", "r")
    if f ~= nil then
      start_at = tonumber(f:read("*l")) or 0
      f:close()
    else
      start_at = now_s() + took * 1.05 * (nthreads - 1) + 0.05
      f = assert(io.open(barrier .. "/start", "w"))
      f:write(string.format("%.3f\n", start_at))
      f:close()
    end
    if start_at < now_s() then
      start_at = now_s()
    end
  end
end

-- the first request of each connection waits for the common start
function delay()
  local wait = (start_at - now_s()) * 1000
  if wait < 1 then
    return 0
  end
  return math.floor(wait)
end

function request()
  local r = presigned[next_presigned]
  if r ~= nil then
    presigned[next_presigned] = nil
    next_presigned = next_presigned + 1
    return r
  end
  return sign_one()
end

function sign_one()
  counter = counter + 1
  local path = paths[counter % npaths + 1]
  local id = stamp .. "-" .. counter
  local params = '("@method" "@path" "x-road-client" "x-road-id");created=' .. os.time() ..
                 ';keyid="' .. client .. '";alg="' .. alg .. '"'
  local base = '"@method": GET\n"@path": ' .. path .. '\n"x-road-client": ' .. client ..
               '\n"x-road-id": ' .. id .. '\n"@signature-params": ' .. params
  local n
  if alg == "rsa-v1_5-sha256" or alg == "rsa-pss-sha512" then
    siglen[0] = 520
    local pss = alg == "rsa-pss-sha512"
    assert(C.EVP_DigestSignInit(ctx, ffi.cast("void **", pctx), pss and C.EVP_sha512() or C.EVP_sha256(), nil, key) == 1)
    if pss then
      assert(C.EVP_PKEY_CTX_set_rsa_padding(pctx[0], 6) == 1) -- RSA_PKCS1_PSS_PADDING
      assert(C.EVP_PKEY_CTX_set_rsa_mgf1_md(pctx[0], C.EVP_sha512()) == 1)
      assert(C.EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx[0], 64) == 1)
    end
    assert(C.EVP_DigestSign(ctx, sig, siglen, base, #base) == 1)
    n = C.EVP_EncodeBlock(b64, sig, siglen[0])
  elseif ecdsa then
    siglen[0] = 80
    assert(C.EVP_DigestSignInit(ctx, nil, C.EVP_sha256(), nil, key) == 1)
    assert(C.EVP_DigestSign(ctx, sig, siglen, base, #base) == 1)
    pp[0] = sig
    local es = C.d2i_ECDSA_SIG(nil, pp, siglen[0])
    C.ECDSA_SIG_get0(es, pr, ps)
    C.BN_bn2binpad(pr[0], rs, 32)
    C.BN_bn2binpad(ps[0], rs + 32, 32)
    C.ECDSA_SIG_free(es)
    n = C.EVP_EncodeBlock(b64, rs, 64)
  else
    siglen[0] = 64
    assert(C.EVP_DigestSignInit(ctx, nil, nil, nil, key) == 1)
    assert(C.EVP_DigestSign(ctx, sig, siglen, base, #base) == 1)
    n = C.EVP_EncodeBlock(b64, sig, 64)
  end
  return wrk.format("GET", path, {
    ["X-Road-Client"] = client,
    ["X-Road-Id"] = id,
    ["Signature-Input"] = "sig1=" .. params,
    ["Signature"] = "sig1=:" .. ffi.string(b64, n) .. ":",
  })
end
