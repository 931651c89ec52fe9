#include "ops/log.hpp"

#include <chrono>

#include "formats/json.hpp"
#include "formats/time.hpp"

namespace ktape::ops {
namespace {

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  return false;
}

}  // namespace

Result<LogFormat> parse_log_format(std::string_view text) {
  if (text == "text") return LogFormat::text;
  if (text == "json") return LogFormat::json;
  std::string message = "--log-format \"";
  message.append(text).append("\": expected text or json");
  return fail(ErrorKind::invalid, std::move(message));
}

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

std::string Logger::format_line(std::string_view time_text, LogLevel level, std::string_view message,
                                const LogFields& fields) const {
  std::string line;
  if (m_format == LogFormat::json) {
    line.append("{\"time\":");
    formats::append_json_string(line, time_text);
    line.append(",\"level\":");
    formats::append_json_string(line, level_name(level));
    line.append(",\"message\":");
    formats::append_json_string(line, message);
    line.append(",\"fields\":{");
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) line.push_back(',');
      formats::append_json_string(line, fields[i].first);
      line.push_back(':');
      formats::append_json_string(line, fields[i].second);
    }
    line.append("}}");
    return line;
  }
  line.append(time_text).append(" ").append(level_name(level)).append(" ").append(message);
  for (const auto& [key, value] : fields) {
    line.append(" ").append(key).append("=");
    if (needs_quotes(value))
      formats::append_json_string(line, value);
    else
      line.append(value);
  }
  return line;
}

void Logger::log(LogLevel level, std::string_view message, const LogFields& fields) {
  auto now = std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  std::string line =
      format_line(formats::format_rfc3339(now, formats::TimePrecision::micro), level, message, fields);
  line.push_back('\n');
  std::lock_guard lock(m_mutex);
  std::fwrite(line.data(), 1, line.size(), m_out);
  std::fflush(m_out);
}

}  // namespace ktape::ops
