#include "io/inspect.hpp"

#include <fmt/format.h>

namespace anneal::io {
namespace {

nlohmann::json attribute_json(const AttrValue& value) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

nlohmann::json attributes_of(const H5File& file, const std::string& object) {
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& name : file.attribute_names(object)) {
    try {
      attrs[name] = attribute_json(file.attribute(object, name));
    } catch (const std::exception&) {
      attrs[name] = "<unreadable>";
    }
  }
  return attrs;
}

void walk(const H5File& file, const std::string& group, nlohmann::json& objects) {
  for (const auto& name : file.children(group)) {
    const std::string path = (group == "/" ? "" : group) + "/" + name;
    nlohmann::json entry = {{"path", path}};
    if (file.is_dataset(path)) {
      const DatasetInfo info = file.dataset_info(path);
      entry["kind"] = "dataset";
      entry["dtype"] = info.type_text;
      entry["shape"] = info.shape;
      entry["attributes"] = attributes_of(file, path);
      objects.push_back(entry);
    } else {
      entry["kind"] = "group";
      entry["attributes"] = attributes_of(file, path);
      objects.push_back(entry);
      walk(file, path, objects);
    }
  }
}

std::string short_value(const nlohmann::json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  if (text.size() > 72) text = text.substr(0, 69) + "...";
  for (auto& c : text)
    if (c == '\n') c = ' ';
  return text;
}

}  // namespace

nlohmann::json describe_file(const H5File& file) {
  nlohmann::json objects = nlohmann::json::array();
  walk(file, "/", objects);
  nlohmann::json description = {{"file", file.path().string()}, {"objects", objects}};
  description["meta"] = file.exists("/meta") ? attributes_of(file, "/meta") : nlohmann::json(nullptr);
  return description;
}

std::string describe_text(const nlohmann::json& description) {
  std::string text = fmt::format("{}\n", description["file"].get<std::string>());
  for (const auto& entry : description["objects"]) {
    const std::string path = entry["path"];
    const auto depth = static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
    const std::string indent(2 * depth, ' ');
    const std::string name = path.substr(path.rfind('/') + 1);
    if (entry["kind"] == "group") {
      text += fmt::format("{}{}/\n", indent, name);
    } else {
      std::string shape;
      for (const auto& extent : entry["shape"]) shape += (shape.empty() ? "" : " x ") + extent.dump();
      text += fmt::format("{}{:<24} {:<8} {}\n", indent, name, entry["dtype"].get<std::string>(),
                          shape.empty() ? "scalar" : shape);
    }
    if (path == "/meta") continue;  // summarised below
    for (const auto& [key, value] : entry["attributes"].items())
      text += fmt::format("{}  @{} = {}\n", indent, key, short_value(value));
  }
  const auto& meta = description["meta"];
  if (meta.is_null()) return text + "\n(no /meta: not written by anneal)\n";
  text += "\nprovenance (/meta)\n";
  for (const char* key : {"anneal_version", "git_sha", "created", "command", "mpi_ranks", "device"})
    if (meta.contains(key)) text += fmt::format("  {:<15} {}\n", key, short_value(meta[key]));
  if (meta.contains("source_files") && meta["source_files"].is_string()) {
    const auto sources = nlohmann::json::parse(meta["source_files"].get<std::string>(), nullptr, false);
    if (sources.is_array())
      for (const auto& s : sources)
        text += fmt::format("  {:<15} {} (sha256 {})\n", "source", s.value("path", "?"),
                            s.value("sha256", "?").substr(0, 16));
  }
  if (meta.contains("config")) text += fmt::format("  {:<15} {}\n", "config", short_value(meta["config"]));
  return text;
}

}  // namespace anneal::io
