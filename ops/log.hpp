#pragma once
// Log lines of a long-running ktape (scheduled exports): `--log-format text` for people, `json` for
// log collectors, one JSON object per line: {"time":"2026-12-07T15:04:05.123456Z","level":"info",
// "message":"snapshot written","fields":{"path":"/backups/c-20261207-150405.yaml.zst"}}.
// Nothing secret may be passed in a message or field.
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formats/error.hpp"

namespace ktape::ops {

enum class LogFormat { text, json };
enum class LogLevel { info, warn, error };

// "text" or "json"; anything else is an invalid Error naming the accepted values.
Result<LogFormat> parse_log_format(std::string_view text);
std::string_view level_name(LogLevel level);

using LogFields = std::vector<std::pair<std::string, std::string>>;

// Thread-safe: each call writes one whole line and flushes it. Text lines read
// "2026-12-07T15:04:05Z info snapshot written path=/x objects=12" (a value with a space or a quote
// is quoted as JSON does it).
class Logger {
 public:
  explicit Logger(LogFormat format, std::FILE* out = stderr) : m_format(format), m_out(out) {}

  void log(LogLevel level, std::string_view message, const LogFields& fields = {});
  void info(std::string_view message, const LogFields& fields = {}) { log(LogLevel::info, message, fields); }
  void warn(std::string_view message, const LogFields& fields = {}) { log(LogLevel::warn, message, fields); }
  void error(std::string_view message, const LogFields& fields = {}) {
    log(LogLevel::error, message, fields);
  }

  // The line log() would write at `time_text`, without the newline (for tests).
  std::string format_line(std::string_view time_text, LogLevel level, std::string_view message,
                          const LogFields& fields) const;

 private:
  LogFormat m_format;
  std::FILE* m_out;
  std::mutex m_mutex;
};

}  // namespace ktape::ops
