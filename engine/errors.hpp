#pragma once
// Errors that end a command. Each carries the exit code the command line returns for it:
// 1 bad input, 2 usage, 3 I/O failure. Messages name the file, the line or feature, and what is
// wrong.
#include <stdexcept>
#include <string>

namespace safer {

class Error : public std::runtime_error {
public:
    Error(int exit_code, const std::string& message) : std::runtime_error(message), m_exit_code(exit_code) {}
    int exit_code() const noexcept { return m_exit_code; }

private:
    int m_exit_code;
};

/// The input is wrong: a file, a row, a feature or a value. Exit code 1.
struct InputError : Error {
    explicit InputError(const std::string& message) : Error(1, message) {}
};

/// The command line is wrong. Exit code 2.
struct UsageError : Error {
    explicit UsageError(const std::string& message) : Error(2, message) {}
};

/// Reading or writing failed for a reason outside the data (permissions, disk). Exit code 3.
struct IoError : Error {
    explicit IoError(const std::string& message) : Error(3, message) {}
};

} // namespace safer
