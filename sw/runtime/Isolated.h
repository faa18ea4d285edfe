#pragma once
// Runs functions in fork()ed child processes and returns what they produced. SystemC elaborates
// once per process; tools that need several simulations (the search's cost table, benches,
// accuracy on the simulated accelerator) run each in a child. A child's UserError (or
// interruption) is a UserError here, with its message, and so is a crash; any other exception of
// the child is a std::runtime_error with its message (an internal error stays one). Safe to call
// from several threads at once: no child inherits another's result pipe.
#include <functional>
#include <string>
#include <vector>

namespace tasdsim::runtime {

std::string runIsolated(const std::function<std::string()>& fn);

// Runs every function in its own child, all at once, and returns their results in order. A
// child may call reportIsolatedProgress() after each unit of work; onProgress (in this
// process) then sees the units finished by all children together.
std::vector<std::string> runIsolatedParallel(
    const std::vector<std::function<std::string()>>& fns,
    const std::function<void(size_t done)>& onProgress = nullptr);

// In a child of runIsolatedParallel: one more unit of work is done (no effect elsewhere).
void reportIsolatedProgress();

}  // namespace tasdsim::runtime
