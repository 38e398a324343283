// SPDX-License-Identifier: Apache-2.0
// Minimal X.509 issuance with the OpenSSL 3 API; EC P-256 keys keep it fast.
#include "test_pki.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace podtrace::testing {
namespace {

std::string to_pem_cert(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string to_pem_key(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) throw std::runtime_error("X509V3_EXT_conf_nid failed");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

KeyPair issue(const std::string& cn, EVP_PKEY* signer_key, X509* issuer, bool is_ca,
              const std::string& ip_san) {
  static long serial = 1;
  KeyPair kp;
  kp.key = EVP_EC_gen("P-256");
  kp.cert = X509_new();
  X509_set_version(kp.cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(kp.cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(kp.cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(kp.cert), 3600L * 24);
  X509_set_pubkey(kp.cert, kp.key);
  X509_NAME* name = X509_get_subject_name(kp.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* iss = issuer ? issuer : kp.cert;
  X509_set_issuer_name(kp.cert, X509_get_subject_name(iss));
  if (is_ca) {
    add_ext(kp.cert, iss, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(kp.cert, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(kp.cert, iss, NID_basic_constraints, "CA:FALSE");
    add_ext(kp.cert, iss, NID_ext_key_usage, ip_san.empty() ? "clientAuth" : "serverAuth");
    if (!ip_san.empty()) add_ext(kp.cert, iss, NID_subject_alt_name, ("IP:" + ip_san).c_str());
  }
  if (!X509_sign(kp.cert, signer_key ? signer_key : kp.key, EVP_sha256()))
    throw std::runtime_error("X509_sign failed");
  kp.cert_pem = to_pem_cert(kp.cert);
  kp.key_pem = to_pem_key(kp.key);
  return kp;
}

}  // namespace

KeyPair::KeyPair(KeyPair&& o) noexcept
    : cert(o.cert), key(o.key), cert_pem(std::move(o.cert_pem)), key_pem(std::move(o.key_pem)) {
  o.cert = nullptr;
  o.key = nullptr;
}

KeyPair::~KeyPair() {
  X509_free(cert);
  EVP_PKEY_free(key);
}

KeyPair make_ca(const std::string& cn) { return issue(cn, nullptr, nullptr, true, {}); }

KeyPair make_leaf(const KeyPair& ca, const std::string& cn, const std::string& ip_san) {
  return issue(cn, ca.key, ca.cert, false, ip_san);
}

X509_STORE* store_with(const KeyPair& ca) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.cert);
  return store;
}

}  // namespace podtrace::testing
