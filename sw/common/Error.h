#pragma once
// Error types shared by every TASDsim library.
//
// UserError: the user's input is wrong (a bad file, config value, flag or request). Its message
// names what and where; the CLI prints it on one line and exits with status 2. Our own bugs are
// caught by assertions instead, never reported as a UserError.
#include <stdexcept>
#include <string>

namespace tasdsim {

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

// Throws UserError(message) when condition is false.
void require(bool condition, const std::string& message);

}  // namespace tasdsim
