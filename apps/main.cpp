// The anneal executable: parse, call, report. Everything it does is reachable from tests through
// the libraries and through the command line itself.
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>
#include <thread>

#include "apps/command.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "core/version.hpp"

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

// One failing rank may leave the others blocked in a collective, so with several ranks an error
// ends the job with MPI_Abort. Rank 0 reports at once; another rank waits a moment first, so that
// when every rank fails alike (bad input) the message appears once, from rank 0.
int fail(const std::string& message, int code, std::unique_ptr<anneal::mpi::Session>& session) {
  const bool several = anneal::mpi::size() > 1;
  if (several && anneal::mpi::rank() != 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::cerr << "anneal: error: " << message << std::endl;
  if (several) anneal::mpi::abort(code);
  session.reset();
  return code;
}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent()) path = a->get_name() + (path.empty() ? "" : " ") + path;
  return path;
}

std::string usage_hint(const CLI::App& app) {
  const CLI::App* deepest = &app;
  for (bool descended = true; descended;) {
    descended = false;
    for (const CLI::App* sub : deepest->get_subcommands()) {
      deepest = sub;
      descended = true;
      break;
    }
  }
  return " (see '" + command_path(deepest) + " --help')";
}

// CLI11 reports a mistyped command as "A subcommand is required"; name the word instead.
std::string unknown_command(const CLI::App& app, int argc, char** argv) {
  const CLI::App* level = &app;
  for (int i = 1; i < argc && level->get_require_subcommand_min() > 0; ++i) {
    const std::string word = argv[i];
    if (word.empty() || word.front() == '-') return {};
    const CLI::App* next = nullptr;
    std::string known;
    for (const CLI::App* sub : level->get_subcommands([](const CLI::App*) { return true; })) {
      known += (known.empty() ? "" : ", ") + sub->get_name();
      if (sub->check_name(word)) next = sub;
    }
    if (next == nullptr) {
      return fmt::format("unknown command '{}' (commands: {}; see '{} --help')", word, known, command_path(level));
    }
    level = next;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  // Options after `--` belong to PETSc and are never seen by CLI11.
  int anneal_argc = argc;
  std::vector<std::string> petsc_args;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") {
      anneal_argc = i;
      petsc_args.assign(argv + i + 1, argv + argc);
      break;
    }
  }
  anneal::apps::set_command_line(argc, argv);

  std::unique_ptr<anneal::mpi::Session> session;
  try {
    session = std::make_unique<anneal::mpi::Session>(argv[0], petsc_args);
  } catch (const std::exception& e) {
    std::cerr << "anneal: error: cannot start MPI/PETSc: " << e.what() << std::endl;
    return kExitError;
  }

  CLI::App app{"anneal: scientific solvers and generators on one neural backend and one HDF5 data layer.\n"
               "Every sub-command reads and writes HDF5 and runs unchanged under mpiexec.",
               "anneal"};
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("anneal {} (git {})", anneal::version(), anneal::git_sha()));
  app.footer("PETSc options go after `--`, e.g. anneal poisson solve in.h5 -o out.h5 -- -ksp_monitor");
  anneal::apps::register_inspect(app);
  anneal::apps::register_demo(app);
  anneal::apps::register_flow(app);
  anneal::apps::register_lpinn(app);
  anneal::apps::register_turbulence(app);
  anneal::apps::register_cgs(app);
  anneal::apps::register_poisson(app);

  if (const auto unknown = unknown_command(app, anneal_argc, argv); !unknown.empty())
    return fail(unknown, kExitUsage, session);
  try {
    app.parse(anneal_argc, argv);
  } catch (const CLI::CallForHelp& e) {
    if (anneal::mpi::rank() == 0) app.exit(e);
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    if (anneal::mpi::rank() == 0) app.exit(e);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    if (anneal::mpi::rank() == 0) app.exit(e);
    return 0;
  } catch (const CLI::ParseError& e) {
    return fail(e.what() + usage_hint(app), kExitUsage, session);
  } catch (const anneal::Error& e) {
    std::string message = e.what();
    if (anneal::log::enabled(anneal::log::Level::debug) && !e.where().empty()) message += " [at " + e.where() + "]";
    return fail(message, kExitError, session);
  } catch (const std::exception& e) {
    return fail(std::string("unexpected failure: ") + e.what(), kExitError, session);
  }
  session.reset();
  return 0;
}
