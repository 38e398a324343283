// SPDX-License-Identifier: Apache-2.0
// Kubernetes Status decoding and name/selector validation.
#include <gtest/gtest.h>

#include "kube/names.h"
#include "kube/status.h"

using namespace podtrace::plugin::kube;

TEST(Status, NotFoundNamesPodAndNamespace) {
  std::string body =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404})";
  EXPECT_EQ(describe_api_error(404, body, {"get", "pods", "", "y", "x"}),
            "pod \"x\" not found in namespace \"y\"");
}

TEST(Status, ForbiddenSaysWhatIsMissingAndPointsAtRbac) {
  std::string body =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"jobs.batch is forbidden: User \"bob\" cannot create resource \"jobs\" in API group \"batch\" in the namespace \"y\"","reason":"Forbidden","code":403})";
  EXPECT_EQ(describe_api_error(403, body, {"create", "jobs", "batch", "y", ""}),
            "forbidden: you need \"create\" on \"jobs\" in namespace \"y\"\n"
            "  server said: jobs.batch is forbidden: User \"bob\" cannot create resource \"jobs\" "
            "in API group \"batch\" in "
            "the namespace \"y\"\n" +
                std::string(rbac_hint));
}

TEST(Status, UnauthorizedAndOthers) {
  EXPECT_EQ(describe_api_error(401, R"({"kind":"Status","reason":"Unauthorized","code":401})",
                               {"get", "pods", "", "y", "x"})
                .rfind("unauthorized: ", 0),
            0u);
  EXPECT_EQ(describe_api_error(409, R"({"kind":"Status","reason":"AlreadyExists","message":"m"})",
                               {"create", "jobs", "batch", "y", "podtrace-1"}),
            "job \"podtrace-1\" already exists in namespace \"y\"");
  EXPECT_EQ(describe_api_error(
                422, R"({"kind":"Status","reason":"Invalid","message":"spec.x: Required"})",
                {"create", "jobs", "batch", "y", ""}),
            "create jobs failed (422 Invalid): spec.x: Required");
  EXPECT_EQ(describe_api_error(502, "<html>bad gateway</html>", {"get", "pods", "", "y", "x"}),
            "get pods failed (502 error): <html>bad gateway</html>");
}

TEST(Status, HostileMessageIsSanitized) {
  std::string body =
      "{\"kind\":\"Status\",\"reason\":\"Invalid\",\"message\":\"a\\u001b[2Jb\\u202ec\"}";
  EXPECT_EQ(describe_api_error(422, body, {"create", "jobs", "batch", "y", ""}),
            "create jobs failed (422 Invalid): a[2Jbc");
}

TEST(Names, Dns1123) {
  EXPECT_TRUE(validate_dns1123_label("namespace", "kube-system"));
  EXPECT_TRUE(validate_dns1123_subdomain("pod name", "web-7d9f.v2"));
  EXPECT_FALSE(validate_dns1123_label("namespace", "Kube"));
  EXPECT_FALSE(validate_dns1123_label("namespace", "-a"));
  EXPECT_FALSE(validate_dns1123_label("namespace", std::string(64, 'a')));
  EXPECT_TRUE(validate_dns1123_label("namespace", std::string(63, 'a')));
  EXPECT_FALSE(validate_dns1123_subdomain("pod name", "a..b"));
  EXPECT_FALSE(validate_dns1123_subdomain("pod name", "a/b"));
  EXPECT_FALSE(validate_dns1123_subdomain("pod name", ""));
  auto st = validate_dns1123_label("container name", "a b");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(),
            "invalid container name \"a b\": must be a lowercase RFC 1123 label (a-z, 0-9, '-', at "
            "most 63 characters)");
}

TEST(Names, LabelSelectors) {
  for (const char* ok :
       {"app=web", "app==web,tier!=cache", "app", "!canary", "env in (prod, staging)",
        "env notin (dev),app.kubernetes.io/name=web", "k=", "example.com/x=y_z.1"})
    EXPECT_TRUE(validate_label_selector(ok)) << ok;
  for (const char* bad : {"", "app=web&x=y", "app=(", "a b=c", "app=web,", "=x", "env in prod",
                          "a=b;c", "app=\x1b[31m"})
    EXPECT_FALSE(validate_label_selector(bad)) << bad;
}
