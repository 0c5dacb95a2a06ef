// Status: how a kernel reports failure without throwing across the C++/JS boundary.
// Kernels return Status; the addon turns a failed one into a JS Error naming the kernel,
// file:line and the cause (LB_THROW_IF_FAILED in addon/napi_util.h).
#pragma once
#include <string>
#include <utility>

namespace lb {

struct Status {
  bool ok = true;
  std::string message;
  const char* file = "";
  int line = 0;

  static Status Ok() { return {}; }
  static Status Fail(std::string msg, const char* file, int line) {
    Status s;
    s.ok = false;
    s.message = std::move(msg);
    s.file = file;
    s.line = line;
    return s;
  }
};

}  // namespace lb

#define LB_FAIL(msg) ::lb::Status::Fail((msg), __FILE__, __LINE__)
#define LB_RETURN_IF_FAILED(expr)       \
  do {                                  \
    ::lb::Status lb_status_ = (expr);   \
    if (!lb_status_.ok) return lb_status_; \
  } while (0)
