// anneal inspect FILE.h5 [--json]: the tree, shapes, dtypes, attributes and /meta of any HDF5 file.
#include <iostream>

#include "apps/command.hpp"
#include "io/hdf5_file.hpp"
#include "io/inspect.hpp"
#include "core/mpi_env.hpp"

namespace anneal::apps {

void register_inspect(CLI::App& app) {
  struct Options {
    std::string file;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show the groups, datasets, attributes and provenance of an HDF5 file");
  cmd->add_option("file", options->file, "The HDF5 file")->required();
  cmd->add_flag("--json", options->json, "Print JSON (for scripts) instead of text");
  cmd->callback([options] {
    const auto file = io::H5File::open_read(options->file);
    const auto description = io::describe_file(file);
    if (mpi::rank() == 0) std::cout << (options->json ? description.dump(2) + "\n" : io::describe_text(description));
  });
}

}  // namespace anneal::apps
