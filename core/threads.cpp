#include "core/threads.hpp"

#include <tbb/global_control.h>

#include "core/error.hpp"

namespace anneal {

struct ThreadLimit::Impl {
  std::unique_ptr<tbb::global_control> control;
};

ThreadLimit::ThreadLimit(int threads) : impl_(std::make_unique<Impl>()) {
  ANNEAL_CHECK(threads >= 0, "--threads must be 0 (automatic) or positive, got {}", threads);
  if (threads > 0)
    impl_->control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                           static_cast<std::size_t>(threads));
}

ThreadLimit::~ThreadLimit() = default;

int ThreadLimit::current() {
  return static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
}

}  // namespace anneal
