#pragma once
// Private to io/: RAII ownership of HDF5 identifiers and path helpers shared by the HDF5 sources.
#include <hdf5.h>

#include <string>
#include <string_view>
#include <utility>

namespace anneal::io::h5 {

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    std::swap(id_, o.id_);
    std::swap(closer_, o.closer_);
    return *this;
  }
  ~Handle() {
    if (id_ >= 0 && closer_) closer_(id_);
  }
  hid_t get() const { return id_; }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// HDF5 prints its error stack to stderr by default; anneal reports errors itself, once.
inline void silence_hdf5() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

inline std::string absolute(std::string_view object) {
  std::string p(object);
  if (p.empty() || p.front() != '/') p.insert(p.begin(), '/');
  return p;
}

// Does every link on the way to `object` exist? H5Lexists only looks at the last one.
inline bool link_exists(hid_t file, const std::string& object) {
  if (object == "/") return true;
  std::size_t pos = 0;
  while ((pos = object.find('/', pos + 1)) != std::string::npos) {
    if (H5Lexists(file, object.substr(0, pos).c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return H5Lexists(file, object.c_str(), H5P_DEFAULT) > 0;
}

}  // namespace anneal::io::h5
