// SPDX-License-Identifier: Apache-2.0
// The HTTPS front end: TLS with optional client certificates, authn/authz, routing.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include "auth.h"
#include "pki.h"
#include "resource_api.h"
#include "store.h"
#include "stream_control.h"

namespace podtrace::cluster {

class ApiServer {
 public:
  ApiServer(Store& store, const PkiFiles& pki, Tokens tokens, std::string state_dir);
  ~ApiServer();

  // Binds 127.0.0.1:port (0 picks a free port); returns the port or -1 with error set.
  int listen(int port, std::string& error);
  // Serves on a background thread.
  void start();
  // Ends streams, stops accepting and joins the serving thread.
  void stop();

 private:
  void route(const httplib::Request& req, httplib::Response& res);
  void serve_harness(const User& user, const httplib::Request& req, httplib::Response& res);
  static void send(httplib::Response& res, const ApiReply& reply);

  Store& store_;
  Authenticator authenticator_;
  std::string state_dir_;
  std::string address_;
  StreamControl control_;
  ResourceApi resources_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
};

}  // namespace podtrace::cluster
