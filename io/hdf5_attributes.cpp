// Attributes of H5File: strings (variable-length UTF-8, which h5py reads as str and h5dump shows
// as text), scalars and 1-D arrays of f64 and i64.
#include <hdf5.h>

#include "core/error.hpp"
#include "core/status_check.hpp"
#include "io/hdf5_file.hpp"
#include "io/hdf5_handle.hpp"

namespace anneal::io {
namespace {
using h5::absolute;
using h5::Handle;

Handle open_object(hid_t file, const std::filesystem::path& path, std::string_view object) {
  const std::string p = absolute(object);
  ANNEAL_CHECK(h5::link_exists(file, p), "'{}': no object '{}'", path.string(), p);
  return Handle(ANNEAL_H5_CHECK(H5Oopen(file, p.c_str(), H5P_DEFAULT)), H5Oclose);
}

Handle utf8_string_type() {
  Handle type(ANNEAL_H5_CHECK(H5Tcopy(H5T_C_S1)), H5Tclose);
  ANNEAL_H5_CHECK(H5Tset_size(type.get(), H5T_VARIABLE));
  ANNEAL_H5_CHECK(H5Tset_cset(type.get(), H5T_CSET_UTF8));
  return type;
}

template <class T>
void write_numbers(hid_t object, const std::string& name, const std::vector<T>& values, bool scalar, hid_t file_type,
                   hid_t memory_type) {
  const hsize_t n = values.size();
  Handle space(ANNEAL_H5_CHECK(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr)), H5Sclose);
  Handle attr(ANNEAL_H5_CHECK(H5Acreate2(object, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT)),
              H5Aclose);
  ANNEAL_H5_CHECK(H5Awrite(attr.get(), memory_type, values.data()));
}
}  // namespace

void H5File::set_attribute(std::string_view object, std::string_view name, const AttrValue& value) {
  Handle obj = open_object(id_, path_, object);
  const std::string attr_name(name);
  if (H5Aexists(obj.get(), attr_name.c_str()) > 0) ANNEAL_H5_CHECK(H5Adelete(obj.get(), attr_name.c_str()));

  if (const auto* text = std::get_if<std::string>(&value)) {
    Handle type = utf8_string_type();
    Handle space(ANNEAL_H5_CHECK(H5Screate(H5S_SCALAR)), H5Sclose);
    Handle attr(ANNEAL_H5_CHECK(H5Acreate2(obj.get(), attr_name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                                           H5P_DEFAULT)),
                H5Aclose);
    const char* ptr = text->c_str();
    ANNEAL_H5_CHECK(H5Awrite(attr.get(), type.get(), &ptr));
  } else if (const auto* d = std::get_if<double>(&value)) {
    write_numbers(obj.get(), attr_name, std::vector<double>{*d}, true, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    write_numbers(obj.get(), attr_name, std::vector<std::int64_t>{*i}, true, H5T_STD_I64LE, H5T_NATIVE_INT64);
  } else if (const auto* dv = std::get_if<std::vector<double>>(&value)) {
    write_numbers(obj.get(), attr_name, *dv, false, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
  } else if (const auto* iv = std::get_if<std::vector<std::int64_t>>(&value)) {
    write_numbers(obj.get(), attr_name, *iv, false, H5T_STD_I64LE, H5T_NATIVE_INT64);
  }
}

bool H5File::has_attribute(std::string_view object, std::string_view name) const {
  const std::string p = absolute(object);
  if (!h5::link_exists(id_, p)) return false;
  return H5Aexists_by_name(id_, p.c_str(), std::string(name).c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> H5File::attribute_names(std::string_view object) const {
  Handle obj = open_object(id_, path_, object);
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  ANNEAL_H5_CHECK(H5Aiterate2(obj.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names));
  return names;
}

AttrValue H5File::attribute(std::string_view object, std::string_view name) const {
  ANNEAL_CHECK(has_attribute(object, name), "'{}': object '{}' has no attribute '{}'", path_.string(),
               absolute(object), name);
  Handle attr(ANNEAL_H5_CHECK(H5Aopen_by_name(id_, absolute(object).c_str(), std::string(name).c_str(),
                                              H5P_DEFAULT, H5P_DEFAULT)),
              H5Aclose);
  Handle type(ANNEAL_H5_CHECK(H5Aget_type(attr.get())), H5Tclose);
  Handle space(ANNEAL_H5_CHECK(H5Aget_space(attr.get())), H5Sclose);
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  const bool scalar = H5Sget_simple_extent_type(space.get()) == H5S_SCALAR;

  switch (H5Tget_class(type.get())) {
    case H5T_STRING: {
      ANNEAL_CHECK(n == 1, "'{}': attribute '{}' of '{}' is an array of strings; one string expected",
                   path_.string(), name, absolute(object));
      if (H5Tis_variable_str(type.get()) > 0) {
        Handle mem = utf8_string_type();
        char* ptr = nullptr;
        ANNEAL_H5_CHECK(H5Aread(attr.get(), mem.get(), &ptr));
        std::string text = ptr ? ptr : "";
        H5free_memory(ptr);
        return text;
      }
      std::string text(H5Tget_size(type.get()), '\0');
      ANNEAL_H5_CHECK(H5Aread(attr.get(), type.get(), text.data()));
      text.resize(text.find_last_not_of('\0') + 1);  // fixed-length strings are NUL padded
      return text;
    }
    case H5T_FLOAT: {
      std::vector<double> values(n);
      ANNEAL_H5_CHECK(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, values.data()));
      if (scalar) return values.front();
      return values;
    }
    case H5T_INTEGER: {
      std::vector<std::int64_t> values(n);
      ANNEAL_H5_CHECK(H5Aread(attr.get(), H5T_NATIVE_INT64, values.data()));
      if (scalar) return values.front();
      return values;
    }
    default:
      ANNEAL_THROW("'{}': attribute '{}' of '{}' has a type anneal does not read", path_.string(), name,
                   absolute(object));
  }
}

std::string H5File::string_attribute(std::string_view object, std::string_view name) const {
  const AttrValue value = attribute(object, name);
  const auto* text = std::get_if<std::string>(&value);
  ANNEAL_CHECK(text != nullptr, "'{}': attribute '{}' of '{}' is not a string", path_.string(), name,
               absolute(object));
  return *text;
}

}  // namespace anneal::io
