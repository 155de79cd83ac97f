-- bench/gateway-sign.lua -- a wrk script for bench/gateway.sh: every request
-- is a fresh X-Road r1 call signed with Ed25519 (RFC 9421) through
-- OpenSSL's libcrypto via LuaJIT's FFI, with a unique X-Road-Id, as a real
-- consumer system would send it.
-- Arguments (after --): KEY_FILE CLIENT_ID PATH
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
]]
local C = ffi.load("libcrypto.so.3")

local thread_no = 0
function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
end

local key, ctx, client, path, counter, stamp
local sig = ffi.new("unsigned char[64]")
local siglen = ffi.new("size_t[1]")
local b64 = ffi.new("unsigned char[100]")

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
  path = args[3]
  counter = 0
  stamp = tostring(os.time()) .. "-" .. tostring(tid or 0) .. "-" .. tostring(math.random(1e9))
end

function request()
  counter = counter + 1
  local id = stamp .. "-" .. counter
  local params = '("@method" "@path" "x-road-client" "x-road-id");created=' .. os.time() ..
                 ';keyid="' .. client .. '";alg="ed25519"'
  local base = '"@method": GET\n"@path": ' .. path .. '\n"x-road-client": ' .. client ..
               '\n"x-road-id": ' .. id .. '\n"@signature-params": ' .. params
  siglen[0] = 64
  assert(C.EVP_DigestSignInit(ctx, nil, nil, nil, key) == 1)
  assert(C.EVP_DigestSign(ctx, sig, siglen, base, #base) == 1)
  local n = C.EVP_EncodeBlock(b64, sig, 64)
  return wrk.format("GET", path, {
    ["X-Road-Client"] = client,
    ["X-Road-Id"] = id,
    ["Signature-Input"] = "sig1=" .. params,
    ["Signature"] = "sig1=:" .. ffi.string(b64, n) .. ":",
  })
end
