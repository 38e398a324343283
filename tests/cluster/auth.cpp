// SPDX-License-Identifier: Apache-2.0
// Authentication by certificate subject or token; authorization with a fixed rule set.
#include "auth.h"

#include <openssl/x509.h>

#include <algorithm>

namespace podtrace::cluster {

namespace {

std::string name_entry(X509_NAME* name, int nid, int lastpos, int* found) {
  int idx = X509_NAME_get_index_by_NID(name, nid, lastpos);
  *found = idx;
  if (idx < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

// Constant-time compare so token checks do not leak prefixes through timing.
bool same_token(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool in_group(const User& user, const std::string& group) {
  return std::find(user.groups.begin(), user.groups.end(), group) != user.groups.end();
}

// RBAC's reason for an allow: the binding that matched (rbac.go clusterRoleBindingDescriber).
// Each binding here has a ClusterRole of the same name, as the bootstrap policy does.
std::string allowed_by(const std::string& binding, const std::string& subject) {
  return "RBAC: allowed by ClusterRoleBinding \"" + binding + "\" of ClusterRole \"" + binding +
         "\" to " + subject;
}

// The nonResourceURLs of the bootstrap ClusterRole system:discovery; "/api/*" matches every
// deeper path, the others only themselves.
bool discovery_path(const std::string& path) {
  for (const char* exact :
       {"/api", "/apis", "/healthz", "/livez", "/openapi", "/readyz", "/version", "/version/"})
    if (path == exact) return true;
  for (const char* prefix : {"/api/", "/apis/", "/openapi/"})
    if (path.rfind(prefix, 0) == 0) return true;
  return false;
}

// The harness's own ClusterRole for user "restricted" (what `kubectl podtrace` needs to read).
bool restricted_allows(const RequestInfo& info) {
  if (!info.is_resource || info.group != "" || info.resource != "pods") return false;
  if (info.subresource.empty())
    return info.verb == "get" || info.verb == "list" || info.verb == "watch";
  return info.subresource == "log" && info.verb == "get";
}

}  // namespace

std::optional<User> Authenticator::authenticate(const SSL* ssl,
                                                const std::string& authorization) const {
  if (ssl) {
    // The handshake already verified the chain against our CA (SSL_VERIFY_PEER).
    X509* peer = SSL_get0_peer_certificate(ssl);
    if (peer && SSL_get_verify_result(ssl) == X509_V_OK) {
      User user;
      X509_NAME* subject = X509_get_subject_name(peer);
      int pos = -1;
      user.name = name_entry(subject, NID_commonName, -1, &pos);
      for (int last = -1;;) {
        std::string org = name_entry(subject, NID_organizationName, last, &last);
        if (last < 0) break;
        user.groups.push_back(org);
      }
      user.groups.push_back("system:authenticated");
      if (!user.name.empty()) return user;
    }
  }
  const std::string prefix = "Bearer ";
  if (authorization.compare(0, prefix.size(), prefix) == 0) {
    std::string token = authorization.substr(prefix.size());
    if (same_token(token, tokens_.admin))
      return User{"podtrace-token", {"system:masters", "system:authenticated"}};
    if (same_token(token, tokens_.restricted)) return User{"restricted", {"system:authenticated"}};
  }
  return std::nullopt;
}

Decision decide(const User& user, const RequestInfo& info, const std::string& path) {
  // The privileged-group authorizer runs before RBAC and gives no reason.
  if (in_group(user, "system:masters")) return {true, ""};
  const std::string authenticated = "Group \"system:authenticated\"";
  if (in_group(user, "system:authenticated")) {
    if (!info.is_resource && info.verb == "get" && discovery_path(path))
      return {true, allowed_by("system:discovery", authenticated)};
    if (info.is_resource && info.group == "authorization.k8s.io" &&
        info.resource == "selfsubjectaccessreviews" && info.subresource.empty() &&
        info.verb == "create")
      return {true, allowed_by("system:basic-user", authenticated)};
  }
  if (user.name == "restricted" && restricted_allows(info))
    return {true, allowed_by("podtrace-restricted", "User \"restricted\"")};
  // RBAC has no opinion and no authorizer denies outright: not allowed, no reason.
  return {};
}

std::optional<ApiReply> authorize(const User& user, const RequestInfo& info,
                                  const std::string& path) {
  if (decide(user, info, path).allowed) return std::nullopt;

  if (!info.is_resource)
    return status_failure(
        403, "Forbidden",
        "forbidden: User \"" + user.name + "\" cannot " + info.verb + " path \"" + path + "\"",
        nlohmann::json::object());
  std::string resource = info.resource;
  if (!info.subresource.empty()) resource += "/" + info.subresource;
  std::string why = "User \"" + user.name + "\" cannot " + info.verb + " resource \"" + resource +
                    "\" in API group \"" + info.group + "\"";
  why += info.ns.empty() ? " at the cluster scope" : " in the namespace \"" + info.ns + "\"";
  std::string subject = qualified_resource(info.resource, info.group);
  if (!info.name.empty()) subject += " \"" + info.name + "\"";
  nlohmann::json details = {{"group", info.group}, {"kind", info.resource}};
  if (!info.name.empty()) details["name"] = info.name;
  return status_failure(403, "Forbidden", subject + " is forbidden: " + why, details);
}

}  // namespace podtrace::cluster
