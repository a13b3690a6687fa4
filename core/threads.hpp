#pragma once
// Thread count inside one rank (oneTBB). 0 means oneTBB's default: the cores this process may use,
// which under mpiexec's binding is the rank's share, so ranks do not oversubscribe the node.
#include <memory>

namespace anneal {

class ThreadLimit {
 public:
  explicit ThreadLimit(int threads);
  ~ThreadLimit();
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;
  static int current();  // threads oneTBB will use now

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace anneal
