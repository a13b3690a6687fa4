#pragma once
// Private to nn/: Eigen views of tensor memory for the CPU kernels. (GCC 12's false warnings inside
// Eigen's AVX-512 code are silenced for the whole anneal_nn target, in nn/CMakeLists.txt.)
#include <Eigen/Core>

#include <cstdint>

namespace anneal::nn {

template <class T>
using Vec = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstVec = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;

}  // namespace anneal::nn
