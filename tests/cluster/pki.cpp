// SPDX-License-Identifier: Apache-2.0
// X.509 generation with the OpenSSL 3 API (no openssl(1) subprocess).
#include "pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <vector>

namespace podtrace::cluster {

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

struct Subject {
  std::string common_name;
  std::vector<std::string> organizations;
};

bool add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Signs a certificate for key; issuer == nullptr makes it self-signed.
Cert make_cert(const Subject& subject, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
               const std::vector<std::pair<int, std::string>>& extensions) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  // Backdated an hour so clocks that differ a little still accept it.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 365);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& o : subject.organizations)
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(subject.common_name.c_str()),
                             -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  for (const auto& [nid, value] : extensions)
    if (!add_extension(cert.get(), signer, nid, value.c_str())) return nullptr;
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) return nullptr;
  return cert;
}

bool write_cert(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  bool ok = PEM_write_X509(f, cert) == 1;
  return std::fclose(f) == 0 && ok;
}

bool write_key(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  fchmod(fileno(f), 0600);
  bool ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  return std::fclose(f) == 0 && ok;
}

}  // namespace

std::string generate_pki(const std::string& dir, PkiFiles& files) {
  Key ca_key(EVP_EC_gen("P-256"));
  Key server_key(EVP_EC_gen("P-256"));
  Key admin_key(EVP_EC_gen("P-256"));
  if (!ca_key || !server_key || !admin_key) return "cannot generate EC keys";

  Cert ca = make_cert({"podtrace-cluster-ca", {}}, ca_key.get(), nullptr, nullptr,
                      {{NID_basic_constraints, "critical,CA:TRUE"},
                       {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
                       {NID_subject_key_identifier, "hash"}});
  if (!ca) return "cannot create the CA certificate";
  Cert server = make_cert(
      {"podtrace-cluster-apiserver", {}}, server_key.get(), ca.get(), ca_key.get(),
      {{NID_basic_constraints, "critical,CA:FALSE"},
       {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
       {NID_ext_key_usage, "serverAuth"},
       {NID_subject_alt_name, "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,IP:127.0.0.1"},
       {NID_authority_key_identifier, "keyid:always"}});
  Cert admin =
      make_cert({"podtrace-admin", {"system:masters"}}, admin_key.get(), ca.get(), ca_key.get(),
                {{NID_basic_constraints, "critical,CA:FALSE"},
                 {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                 {NID_ext_key_usage, "clientAuth"},
                 {NID_authority_key_identifier, "keyid:always"}});
  if (!server || !admin) return "cannot sign the server or client certificate";

  files = {dir + "/ca.crt", dir + "/apiserver.crt", dir + "/apiserver.key", dir + "/admin.crt",
           dir + "/admin.key"};
  if (!write_cert(files.ca_cert, ca.get()) || !write_cert(files.server_cert, server.get()) ||
      !write_key(files.server_key, server_key.get()) ||
      !write_cert(files.admin_cert, admin.get()) || !write_key(files.admin_key, admin_key.get()))
    return "cannot write certificates into " + dir;
  return "";
}

}  // namespace podtrace::cluster
