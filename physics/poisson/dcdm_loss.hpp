#pragma once
// The DCDM training loss (Kaneda et al., ICML 2023, eq. 8): for a right-hand side b and the
// network's direction q = f(b), the residual left after the exact line search along q,
//   L(q; b) = ‖b − (qᵀb / qᵀAq)·A q‖²,
// averaged over a batch. It is unsupervised (no solutions needed) and invariant to the scale of q,
// so the network learns directions, not magnitudes. A q is a recorded op, differentiable in q.
#include "nn/tensor.hpp"
#include "solvers/structured/cell_laplacian.hpp"

namespace anneal::physics::poisson {

// y = A q for each row of q [B, n] (any shape whose trailing extents multiply to n works; y has
// q's shape), in q's dtype. A must be symmetric: the backward is A·(gradient). `a` is held by
// reference and must outlive the tape built from the result.
nn::Tensor apply_symmetric_operator(const solvers::CsrMatrix& a, const nn::Tensor& q);

// mean over b's rows of ‖b − (qᵀb/qᵀAq)·Aq‖²; q and b [B, ...] with n = A.rows entries per row.
nn::Tensor dcdm_loss(const solvers::CsrMatrix& a, const nn::Tensor& q, const nn::Tensor& b);

}  // namespace anneal::physics::poisson
