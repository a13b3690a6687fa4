#include "physics/poisson/dcdm_network.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::physics::poisson {

int DcdmArchitecture::receptive_radius() const {
  const int full = 1 + 1 + 2 * full_units + 1;  // lift, enter, units, leave
  const int coarse = 2 * (2 * coarse_units) + 1;  // each coarse cell spans 2 fine; +1 pooling alignment
  return full + coarse + 2 * post_units;
}

std::string DcdmArchitecture::to_json() const {
  return nlohmann::json{{"in_channels", in_channels},
                        {"channels", channels},
                        {"full_units", full_units},
                        {"coarse_units", coarse_units},
                        {"post_units", post_units}}
      .dump();
}

DcdmArchitecture DcdmArchitecture::from_json(const std::string& json) {
  const auto j = nlohmann::json::parse(json);
  DcdmArchitecture a;
  a.in_channels = j.at("in_channels").get<int>();
  a.channels = j.at("channels").get<int>();
  a.full_units = j.at("full_units").get<int>();
  a.coarse_units = j.at("coarse_units").get<int>();
  a.post_units = j.at("post_units").get<int>();
  a.validate();
  return a;
}

void DcdmArchitecture::validate() const {
  ANNEAL_CHECK(in_channels == 1 || in_channels == 2,
               "DCDM network: in_channels must be 1 (residual) or 2 (residual + cell type), not {}", in_channels);
  ANNEAL_CHECK(channels >= 1 && channels <= 256, "DCDM network: channels must be in [1, 256], not {}", channels);
  ANNEAL_CHECK(full_units >= 0 && coarse_units >= 0 && post_units >= 0 && full_units + coarse_units + post_units <= 64,
               "DCDM network: unit counts must be non-negative (and at most 64 in all)");
}

DcdmNetwork::Unit DcdmNetwork::make_unit(const std::string& name, RandomStream& rng) {
  const auto c = architecture_.channels;
  Unit u;
  u.first = register_module(name + ".0", std::make_shared<nn::Conv3d>(c, c, 3, rng, dtype_));
  u.second = register_module(name + ".1", std::make_shared<nn::Conv3d>(c, c, 3, rng, dtype_));
  return u;
}

DcdmNetwork::DcdmNetwork(const DcdmArchitecture& architecture, RandomStream& rng, nn::DType dtype)
    : architecture_(architecture), dtype_(dtype) {
  architecture_.validate();
  const auto c = architecture_.channels;
  lift_ = register_module("lift", std::make_shared<nn::Conv3d>(architecture_.in_channels, c, 3, rng, dtype));
  enter_ = register_module("enter", std::make_shared<nn::Conv3d>(c, c, 3, rng, dtype));
  for (int i = 0; i < architecture_.full_units; ++i) full_.push_back(make_unit("full." + std::to_string(i), rng));
  leave_ = register_module("leave", std::make_shared<nn::Conv3d>(c, c, 3, rng, dtype));
  for (int i = 0; i < architecture_.coarse_units; ++i) coarse_.push_back(make_unit("coarse." + std::to_string(i), rng));
  for (int i = 0; i < architecture_.post_units; ++i) post_.push_back(make_unit("post." + std::to_string(i), rng));
  output_ = register_module("output", std::make_shared<nn::Conv3d>(c, 1, 1, rng, dtype));
}

nn::Tensor DcdmNetwork::apply(const Unit& unit, const nn::Tensor& h) const {
  return nn::relu(unit.second->forward(nn::relu(unit.first->forward(h)))) + h;
}

nn::Tensor DcdmNetwork::forward(const nn::Tensor& x) const {
  ANNEAL_CHECK(x.dim() == 5, "DCDM network: input must be [N, C, nz, ny, nx], got {} axes", x.dim());
  ANNEAL_CHECK(x.size(1) == architecture_.in_channels, "the model was trained for {} input channel(s) ({}), the input has {}",
               architecture_.in_channels, architecture_.in_channels == 2 ? "residual + cell type" : "the residual alone",
               x.size(1));
  for (int axis = 2; axis < 5; ++axis)
    ANNEAL_CHECK(x.size(axis) % 2 == 0, "DCDM network: grid extents must be even (one 2× pooling level), got {} cells on axis {}",
                 x.size(axis), 4 - axis);
  auto h = nn::relu(enter_->forward(lift_->forward(x)));
  for (const Unit& u : full_) h = apply(u, h);
  const auto fine = nn::relu(leave_->forward(h));
  auto coarse = nn::avg_pool3d(fine, 2);
  for (const Unit& u : coarse_) coarse = apply(u, coarse);
  auto up = nn::upsample_nearest3d(coarse, 2) + fine;
  for (const Unit& u : post_) up = apply(u, up);
  return output_->forward(up);
}

}  // namespace anneal::physics::poisson
