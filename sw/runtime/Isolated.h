#pragma once
// Runs a function in a fork()ed child process and returns what it produced. SystemC elaborates
// once per process; tools that need several simulations (the search's cost table, benches) run
// each in a child. Throws UserError with the child's error message when it fails.
#include <functional>
#include <string>

namespace tasdsim::runtime {

std::string runIsolated(const std::function<std::string()>& fn);

}  // namespace tasdsim::runtime
