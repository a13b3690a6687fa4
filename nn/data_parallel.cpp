#include "nn/data_parallel.hpp"

#include "core/mpi_comm.hpp"
#include "core/mpi_env.hpp"
#include "core/status_check.hpp"

namespace anneal::nn {
namespace {
MPI_Datatype mpi_type(DType dtype) { return dtype == DType::f32 ? MPI_FLOAT : MPI_DOUBLE; }
}  // namespace

void broadcast_parameters(const std::vector<Tensor>& parameters) {
  if (mpi::size() == 1) return;
  for (const auto& p : parameters) {
    Tensor t = p;
    dispatch(t.dtype(), [&]<class T>() {
      ANNEAL_MPI_CHECK(MPI_Bcast(t.data<T>(), static_cast<int>(t.numel()), mpi_type(t.dtype()), 0, mpi::world()));
    });
  }
}

void average_gradients(const std::vector<Tensor>& parameters) {
  if (mpi::size() == 1) return;
  // Parameters of each dtype travel in one packed buffer of that dtype.
  for (DType dtype : {DType::f32, DType::f64}) {
    dispatch(dtype, [&]<class T>() {
      std::vector<T> packed;
      for (const auto& p : parameters) {
        if (p.dtype() != dtype) continue;
        const Tensor g = p.grad();
        if (g.defined()) {
          const T* src = g.data<T>();
          packed.insert(packed.end(), src, src + g.numel());
        } else {
          packed.insert(packed.end(), static_cast<std::size_t>(p.numel()), T(0));
        }
      }
      if (packed.empty()) return;
      ANNEAL_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, packed.data(), static_cast<int>(packed.size()), mpi_type(dtype),
                                     MPI_SUM, mpi::world()));
      const T scale = T(1) / static_cast<T>(mpi::size());
      std::size_t at = 0;
      for (const auto& p : parameters) {
        if (p.dtype() != dtype) continue;
        Tensor g = Tensor::empty(p.shape(), dtype);
        T* dst = g.data<T>();
        for (std::int64_t i = 0; i < p.numel(); ++i) dst[i] = packed[at++] * scale;
        Tensor(p).set_grad(g);
      }
    });
  }
}

}  // namespace anneal::nn
